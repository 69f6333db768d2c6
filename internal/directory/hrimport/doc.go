// Package hrimport is the directory's HR feed: it reads a CSV file exported
// from an HR system and brings the directory's users in line with it, as
// Entra ID's inbound HR provisioning does.
//
// The file is a full feed. Its header row names Graph user attributes
// (case-insensitively): employeeId, which is required and is the key,
// and any of userPrincipalName, displayName, givenName, surname, mail,
// jobTitle, department, companyName, mobilePhone, businessPhones,
// officeLocation, preferredLanguage, usageLocation, accountEnabled, and
// managerEmployeeId (the manager, named by employee id). Any other column
// is an error.
//
// The import works in three steps:
//
//  1. Parse reads the file and checks each row on its own: the employeeId
//     is present and unique, userPrincipalName is unique, accountEnabled is
//     a boolean, the row has as many fields as the header.
//  2. Compute matches the rows to the live users by employeeId and makes a
//     Plan: create the users not in the directory, update the attributes of
//     those whose columns differ, and disable the users that have an
//     employeeId but are not in the file. Every resulting user goes through
//     directory.NormalizeUser and directory.ValidateUser, and the store is
//     asked about what only it knows (a userPrincipalName held by another
//     user, a manager's employee id). Every problem of every row is
//     reported, with its line number; if there is any, there is no plan.
//  3. Apply makes the changes one store write each, so each one reaches the
//     outbox (and so provisioning) on its own, and stops at the first error.
//
// Only the columns in the file are managed: a missing column leaves that
// attribute alone, and an empty cell clears it, except for the attributes a
// user cannot be without (userPrincipalName, displayName, accountEnabled),
// where an empty cell keeps the current value.
package hrimport
