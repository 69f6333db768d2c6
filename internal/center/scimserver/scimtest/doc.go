// Package scimtest starts the center's real SCIM server on 127.0.0.1 for
// the tests of its clients (the provisioning engine, the directory
// console's Test Connection, the Graph synchronization API): its own SQLite
// file, a bearer token it accepts, and its handler for tests that wrap it
// with faults or serve it again behind another listener.
package scimtest
