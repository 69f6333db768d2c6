// A third-party SCIM 2.0 server for the provisioning engine's tests: SCIMMY
// (RFC 7643/7644 parsing, filters, PatchOp, ListResponse) behind
// scimmy-routers' Express routers, with in-memory Users and Groups and bearer
// authentication (shared/reference/real-clients.md §1.3).
//
// Usage: NODE_PATH=tools/peers/node_modules SCIM_TOKEN=... node scimmy-server.mjs PORT
//
// It listens on 127.0.0.1:PORT (0 picks a free port), prints
// "listening http://127.0.0.1:<port>/scim/v2" once ready, and logs every
// request as "REQ <method> <url> <body>" so a test can see what was sent.
// Modules are loaded with require so that NODE_PATH finds tools/peers, and
// so that scimmy-routers and this script share one SCIMMY instance.
import { createRequire } from "node:module";
import crypto from "node:crypto";

const require = createRequire(import.meta.url);
const interop = (m) => m.default ?? m;
const express = interop(require("express"));
const SCIMMY = interop(require("scimmy"));
const SCIMMYRouters = interop(require("scimmy-routers"));

const TOKEN = process.env.SCIM_TOKEN;
const PORT = Number(process.argv[2] ?? 0);
if (!TOKEN) {
  console.error("SCIM_TOKEN is required");
  process.exit(2);
}

const store = { User: new Map(), Group: new Map() };
const copy = (v) => JSON.parse(JSON.stringify(v));

// The enterprise extension is optional on User, as in RFC 7643 §4.3.
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

for (const [kind, Resource] of [["User", SCIMMY.Resources.User], ["Group", SCIMMY.Resources.Group]]) {
  SCIMMY.Resources.declare(Resource)
    .ingress((res, data) => {
      const m = store[kind];
      const body = copy(data);
      if (res.id && !m.has(res.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${res.id} not found`);
      // Uniqueness of the matching attributes, as RFC 7643 §4.1 asks of
      // userName and as most services do for group displayName.
      const key = kind === "User" ? "userName" : "displayName";
      const clash = [...m.values()].find(
        (o) => o.id !== res.id && String(o[key] ?? "").toLowerCase() === String(body[key] ?? "").toLowerCase());
      if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `${key} ${body[key]} already exists`);
      const id = res.id ?? crypto.randomUUID();
      const now = new Date().toISOString();
      const obj = { ...body, id, meta: { created: m.get(id)?.meta?.created ?? now, lastModified: now } };
      m.set(id, obj);
      return copy(obj);
    })
    .egress((res) => {
      const m = store[kind];
      if (res.id) {
        if (!m.has(res.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${res.id} not found`);
        return copy(m.get(res.id));
      }
      const all = [...m.values()].map(copy);
      return res.filter ? res.filter.match(all) : all;
    })
    .degress((res) => {
      if (!store[kind].delete(res.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${res.id} not found`);
      if (kind === "User") {
        // A deleted user leaves every group, as a real service does.
        for (const g of store.Group.values()) {
          if (Array.isArray(g.members)) g.members = g.members.filter((mm) => mm.value !== res.id);
        }
      }
    });
}

const app = express();
// Parse here (the routers' own parser then skips the body) to log it.
app.use(express.json({ type: ["application/scim+json", "application/json"] }));
app.use((req, _res, next) => {
  console.log(`REQ ${req.method} ${req.originalUrl} ${req.body && Object.keys(req.body).length ? JSON.stringify(req.body) : ""}`);
  next();
});
app.use("/scim/v2", new SCIMMYRouters({
  type: "bearer",
  handler: (req) => {
    if (req.header("Authorization") !== `Bearer ${TOKEN}`) throw new Error("Authorization failed");
    return "provisioner";
  },
}));

const server = app.listen(PORT, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/scim/v2`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
