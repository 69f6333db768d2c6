package console

import "github.com/gatehouse-id/gatehouse/internal/web"

// pages are the console's pages; each defines "content" for web's layout.
// Their sources are kept with the area they belong to (corePages here,
// objectPages with the handlers of the permission set, account, user and
// group pages).
var pages = web.Templates(corePages, objectPages)

// corePages are the overview, settings, lists, wizard and access graph.
var corePages = map[string]string{
	"overview": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-id"><h2 id="h-id">Identity</h2>
<p>Identity source: {{if eq $d.Source "external"}}external identity provider <code>{{$d.IdPEntityID}}</code>{{else}}Identity Center directory{{end}} · <a href="/console/settings">Settings</a></p>
<p><a href="/console/users" id="count-users">{{$d.Users}} users</a> · <a href="/console/groups" id="count-groups">{{$d.Groups}} groups</a> <span class="muted">(provisioned over SCIM)</span></p></section>
<section class="card" aria-labelledby="h-acc"><h2 id="h-acc">Multi-account permissions</h2>
<p><a href="/console/permission-sets" id="count-ps">{{$d.PermissionSets}} permission sets</a> · <a href="/console/accounts" id="count-accounts">{{$d.Accounts}} AWS accounts</a> · <a href="/console/assignments" id="count-assignments">{{$d.Assignments}} assignments</a>
{{if .CanChange}} · <a href="/console/assignments/new">Assign users or groups</a>{{end}} · <a href="/console/access-graph">Access graph</a></p></section>
{{end}}`,

	"settings": `{{define "content"}}{{$d := .Data}}
{{if $d.Alerts}}<section class="card" aria-labelledby="h-bg"><h2 id="h-bg">Emergency access alerts</h2>
<p class="muted">Each use of a break-glass account stays in the portal's and this console's header until acknowledged.</p>
<ul>{{range $d.Alerts}}<li>{{.Message}}{{if $.CanChange}} <form class="inline" method="post" action="/console/settings/alerts/{{.ID}}/ack">{{template "csrf" $}}<button type="submit" class="secondary" aria-label="Acknowledge: {{.Message}}">Acknowledge</button></form>{{end}}</li>{{end}}</ul>
</section>{{end}}
<section class="card" aria-labelledby="h-src"><h2 id="h-src">Identity source</h2>
<dl class="facts"><dt>Identity source</dt><dd id="source">{{if eq $d.Source "external"}}External identity provider{{else}}Identity Center directory{{end}}</dd>
{{with $d.IdP}}<dt>IdP entity ID</dt><dd><code id="idp-entity">{{.EntityID}}</code></dd>
<dt>IdP sign-in URL</dt><dd><code>{{if .SSORedirect}}{{.SSORedirect}}{{else}}{{.SSOPost}}{{end}}</code></dd>
<dt>IdP certificates</dt><dd>{{len .Certs}}{{if $d.CertExpires}}, first expiring {{$d.CertExpires}}{{end}}</dd>{{end}}</dl>
<h3>Service provider metadata</h3>
<dl class="facts"><dt>Issuer (entity ID)</dt><dd><code>{{$d.SPEntityID}}</code></dd>
<dt>ACS URL</dt><dd><code>{{$d.ACSURL}}</code></dd></dl>
<p><a href="{{$d.MetadataURL}}" download id="sp-metadata">Download SAML metadata file</a></p>
{{if .CanChange}}<form method="post" action="/console/settings/identity-source" enctype="multipart/form-data" novalidate>{{template "csrf" .}}
<div class="field"><label for="f-metadata">IdP SAML metadata file</label>
<input type="file" id="f-metadata" name="metadata" accept=".xml,application/xml,application/samlmetadata+xml"{{with index .Errors "metadata"}} aria-invalid="true" aria-describedby="err-metadata"{{else}} aria-describedby="hint-metadata"{{end}}>
<p class="muted" id="hint-metadata">The federation metadata XML of your identity provider, such as Entra ID's. Or paste it below.</p>
<label for="f-metadataText">Or paste the metadata</label>
<textarea id="f-metadataText" name="metadataText" rows="4"></textarea>
{{with index .Errors "metadata"}}<p class="field-error" id="err-metadata">{{.}}</p>{{end}}</div>
<button type="submit">Change identity source</button></form>{{end}}
</section>

<section class="card" aria-labelledby="h-prov"><h2 id="h-prov">Automatic provisioning</h2>
<dl class="facts"><dt>SCIM endpoint</dt><dd><code id="scim-url">{{$d.SCIMURL}}</code></dd>
<dt>Active access tokens</dt><dd id="active-tokens">{{$d.ActiveCount}} of 2</dd></dl>
{{if $d.NewToken}}<div class="flash" role="status"><p><strong>Access token (shown once):</strong></p><p><code id="new-token">{{$d.NewToken}}</code></p></div>{{end}}
<div class="table-wrap"><table id="tokens"><caption class="muted">SCIM access tokens (valid for one year)</caption>
<thead><tr><th scope="col">Token id</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Status</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $d.Tokens}}<tr><td><code>{{.ID}}</code></td><td>{{.Created}}</td><td>{{.Expires}}</td><td>{{.Status}}</td>
{{if $.CanChange}}<td>{{if .Active}}<form class="inline" method="post" action="/console/settings/tokens/{{.ID}}/rotate">{{template "csrf" $}}<button type="submit" class="secondary" aria-label="Rotate token {{.ID}}">Rotate</button></form>
<form class="inline" method="post" action="/console/settings/tokens/{{.ID}}/revoke">{{template "csrf" $}}<button type="submit" class="danger" aria-label="Revoke token {{.ID}}">Revoke</button></form>{{end}}</td>{{end}}</tr>
{{else}}<tr><td colspan="5">No tokens.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<p class="muted">To rotate without a pause in provisioning, generate a second token, give it to your identity provider, then revoke the first. Rotate revokes a token at once and generates its replacement, for a token that leaked or when two are active.</p>
<form method="post" action="/console/settings/tokens">{{template "csrf" .}}
<div class="field"><button type="submit" id="f-token"{{with index .Errors "token"}} aria-invalid="true" aria-describedby="err-token"{{end}}>Generate token</button>
{{with index .Errors "token"}}<p class="field-error" id="err-token" role="alert">{{.}}</p>{{end}}</div></form>{{end}}
</section>

<section class="card" aria-labelledby="h-adm"><h2 id="h-adm">Console administrators</h2>
<p class="muted">Members of these groups (provisioned over SCIM) sign in to this console through the identity source.</p>
{{if .CanChange}}<form method="post" action="/console/settings/admins" novalidate>{{template "csrf" .}}
{{range $d.Selects}}<div class="field"><label for="f-{{.Name}}">{{.Label}}</label>
<select id="f-{{.Name}}" name="{{.Name}}"{{if .Error}} aria-invalid="true" aria-describedby="err-{{.Name}}"{{end}}>
<option value="">{{.Empty}}</option>
{{range .Options}}<option value="{{.Value}}"{{if .Checked}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{if .Error}}<p class="field-error" id="err-{{.Name}}">{{.Error}}</p>{{end}}</div>
{{end}}
<button type="submit">Save</button></form>
{{else}}<dl class="facts"><dt>Admin group</dt><dd>{{range $d.Groups}}{{if eq .ID $d.AdminGroup}}{{.DisplayName}}{{end}}{{end}}</dd>
<dt>Read-only group</dt><dd>{{range $d.Groups}}{{if eq .ID $d.ReadGroup}}{{.DisplayName}}{{end}}{{end}}</dd></dl>{{end}}
</section>
{{end}}
`,

	"users": `{{define "content"}}
<section class="card" aria-labelledby="h-search"><h2 id="h-search">Find users</h2>
<form method="get" action="/console/users" role="search">
<label for="q">User name, display name or email contains</label>
<input type="search" id="q" name="q" value="{{.Data.Query}}" autocomplete="off"
 hx-get="/console/users" hx-trigger="input changed delay:300ms, search" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
<button type="submit">Search</button>
</form>
<p class="muted">Users come from your identity source over SCIM; change them there.</p></section>
<section class="card" id="results" aria-labelledby="h-users" aria-live="polite"><h2 id="h-users">{{len .Data.Users}} of {{.Data.Total}} users</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Access</th></tr></thead><tbody>
{{range .Data.Users}}<tr><td><a href="/console/users/{{.ID}}">{{.UserName}}</a></td><td>{{.DisplayName}}</td><td>{{.PrimaryEmail}}</td>
<td>{{if .Active}}<span class="badge on">enabled</span>{{else}}<span class="badge off">disabled</span>{{end}}</td>
<td><a href="/console/access-graph?user={{.ID}}" aria-label="Access graph of {{.UserName}}">Access graph</a></td></tr>
{{else}}<tr><td colspan="5">No users match.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"groups": `{{define "content"}}
<section class="card" aria-labelledby="h-search"><h2 id="h-search">Find groups</h2>
<form method="get" action="/console/groups" role="search">
<label for="q">Group name contains</label>
<input type="search" id="q" name="q" value="{{.Data.Query}}" autocomplete="off"
 hx-get="/console/groups" hx-trigger="input changed delay:300ms, search" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
<button type="submit">Search</button>
</form></section>
<section class="card" id="results" aria-labelledby="h-g" aria-live="polite"><h2 id="h-g">{{len .Data.Groups}} of {{.Data.Total}} groups</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col">Group id</th></tr></thead><tbody>
{{range .Data.Groups}}<tr><td><a href="/console/groups/{{.ID}}">{{.DisplayName}}</a></td><td>{{len .Members}}</td><td><code>{{.ID}}</code></td></tr>
{{else}}<tr><td colspan="3">No groups match.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"permission-sets": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-ps"><h2 id="h-ps">{{len $d.Sets}} permission sets</h2>
<div class="table-wrap"><table id="permission-sets"><thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Session</th><th scope="col">AWS managed policies</th><th scope="col">Inline policy</th></tr></thead><tbody>
{{range $d.Sets}}<tr><td><a href="{{.Path}}">{{.Name}}</a></td><td>{{.Description}}</td><td>{{.SessionDuration}}</td>
<td>{{range $i, $m := .ManagedPolicies}}{{if $i}}, {{end}}<code>{{$m}}</code>{{end}}</td><td>{{if .InlinePolicy}}yes{{else}}no{{end}}</td></tr>
{{else}}<tr><td colspan="5">No permission sets.</td></tr>{{end}}</tbody></table></div></section>
{{if .CanChange}}<section class="card" aria-labelledby="h-new"><h2 id="h-new">Create permission set</h2>
<form method="post" action="/console/permission-sets" novalidate>{{template "csrf" .}}
{{if index .Errors ""}}<p class="field-error">{{index .Errors ""}}</p>{{end}}
{{template "field" (hint "Up to 32 letters, digits and +=,.@-_" (required (auto "off" (field . "name" "Name" "text"))))}}
{{template "field" (field . "description" "Description" "text")}}
{{template "duration" .}}
{{template "managed-picker" .}}
{{template "inline-policy" .}}
<p class="muted">Customer managed policies, a permissions boundary and tags are set on the permission set's page once it is created.</p>
<button type="submit">Create permission set</button></form></section>{{end}}
{{end}}` + policyFields,

	"accounts": `{{define "content"}}
<section class="card" aria-labelledby="h-a"><h2 id="h-a">{{len .Data.Accounts}} AWS accounts</h2>
<div class="table-wrap"><table id="accounts"><thead><tr><th scope="col">Name</th><th scope="col">Account id</th><th scope="col">Email</th><th scope="col">Kind</th></tr></thead><tbody>
{{range .Data.Accounts}}<tr><td><a href="/console/accounts/{{.ID}}">{{.Name}}</a></td><td>{{.ID}}</td><td>{{.Email}}</td><td>{{if .RealAWS}}real AWS account{{else}}simulated{{end}}</td></tr>
{{else}}<tr><td colspan="4">No accounts.</td></tr>{{end}}</tbody></table></div></section>
{{if .CanChange}}<section class="card" aria-labelledby="h-new"><h2 id="h-new">Add an AWS account</h2>
<form method="post" action="/console/accounts" novalidate>{{template "csrf" .}}
{{if index .Errors ""}}<p class="field-error">{{index .Errors ""}}</p>{{end}}
{{template "field" (hint "12 digits" (required (auto "off" (field . "id" "Account id" "text"))))}}
{{template "field" (required (field . "name" "Account name" "text"))}}
{{template "field" (required (field . "email" "Email" "text"))}}
<div class="field"><input type="checkbox" id="f-realAWS" name="realAWS" value="1"{{if index .Form "realAWS"}} checked{{end}}> <label class="inline-label" for="f-realAWS">A real AWS account (the portal federates into the AWS console)</label></div>
<button type="submit">Add account</button></form></section>{{end}}
{{end}}`,

	"assignments": `{{define "content"}}{{template "assignment-table" .}}{{end}}` + assignmentTable,

	"wizard": `{{define "content"}}{{$d := .Data}}
<nav aria-label="Steps"><ol class="steps">
<li{{if eq $d.Step 1}} aria-current="step"{{end}}>1. AWS accounts</li><li{{if eq $d.Step 2}} aria-current="step"{{end}}>2. Users and groups</li><li{{if eq $d.Step 3}} aria-current="step"{{end}}>3. Permission sets</li></ol></nav>
{{if $d.Summary}}<section class="card" aria-labelledby="h-sum"><h2 id="h-sum">Chosen</h2><ul>{{range $d.Summary}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
{{if eq $d.Step 1}}<section class="card" aria-labelledby="h-s1"><h2 id="h-s1">Step 1: choose AWS accounts</h2>
<form method="get" action="/console/assignments/new"><input type="hidden" name="step" value="2">
{{template "choices" $d.Field}}
<button type="submit">Next</button></form></section>{{end}}
{{if eq $d.Step 2}}<section class="card" aria-labelledby="h-s2"><h2 id="h-s2">Step 2: choose users or groups</h2>
<form method="get" action="/console/assignments/new" role="search"><input type="hidden" name="step" value="2">
{{range $d.ChosenAccounts}}<input type="hidden" name="account" value="{{.}}">{{end}}
<label for="q">Name contains</label><input type="search" id="q" name="q" value="{{$d.Query}}" autocomplete="off">
<button type="submit" class="secondary">Search</button></form>
<form method="get" action="/console/assignments/new"><input type="hidden" name="step" value="3">
{{range $d.ChosenAccounts}}<input type="hidden" name="account" value="{{.}}">{{end}}
{{template "choices" $d.Field}}
<button type="submit">Next</button></form></section>{{end}}
{{if eq $d.Step 3}}<section class="card" aria-labelledby="h-s3"><h2 id="h-s3">Step 3: choose permission sets</h2>
<form method="post" action="/console/assignments">{{template "csrf" .}}
{{range $d.ChosenAccounts}}<input type="hidden" name="account" value="{{.}}">{{end}}
{{range $d.ChosenPrincipals}}<input type="hidden" name="principal" value="{{.}}">{{end}}
{{template "choices" $d.Field}}
<button type="submit">Assign</button></form></section>{{end}}
{{end}}
{{define "choices"}}<fieldset class="field checks" id="f-{{.Name}}"{{if .Error}} aria-invalid="true" aria-describedby="err-{{.Name}}"{{end}}><legend>{{.Label}}</legend>
{{range $i, $c := .Items}}<div><input type="checkbox" id="c-{{$.Name}}-{{$i}}" name="{{$.Name}}" value="{{$c.Value}}"{{if $c.Checked}} checked{{end}}> <label for="c-{{$.Name}}-{{$i}}">{{$c.Label}}</label> <span class="muted">{{$c.Detail}}</span></div>
{{else}}<p>Nothing to choose.</p>{{end}}
{{if .Error}}<p class="field-error" id="err-{{.Name}}">{{.Error}}</p>{{end}}</fieldset>{{end}}`,

	"access-graph": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-who"><h2 id="h-who">Who can reach what</h2>
<form method="get" action="/console/access-graph" class="filters">
<div><label for="f-user">User</label><select id="f-user" name="user"><option value="">All users</option>
{{range $d.Users}}<option value="{{.ID}}"{{if eq .ID $d.Selected}} selected{{end}}>{{.UserName}}</option>{{end}}</select></div>
<div><button type="submit">Show</button></div></form>
{{if $d.NoAccess}}<p class="muted">{{$d.NoAccess}} {{if eq $d.NoAccess 1}}user has{{else}}users have{{end}} no access{{if not $d.Selected}} and {{if eq $d.NoAccess 1}}is{{else}}are{{end}} not drawn{{end}}.</p>{{end}}
<div class="graph-wrap"><svg id="access-graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="graph-title graph-desc" width="{{$d.Width}}" height="{{$d.Height}}" viewBox="0 0 {{$d.Width}} {{$d.Height}}" font-family="system-ui, sans-serif" font-size="13">
<title id="graph-title">Access graph{{if $d.SelectedName}} of {{$d.SelectedName}}{{end}}: users, groups, permission sets and AWS accounts</title>
<desc id="graph-desc">{{$d.Desc}}</desc>
{{range $d.Heads}}<text x="{{.TextX}}" y="{{.TextY}}" font-weight="700" fill="#111">{{.Label}}</text>{{end}}
<g fill="none" stroke="#64748b" stroke-width="1.5">{{range $d.Edges}}<path d="{{.D}}"/>{{end}}</g>
{{range $d.Nodes}}<g class="node node-{{.Kind}}"><title>{{.Full}}</title><rect x="{{.X}}" y="{{.Y}}" width="220" height="26" rx="6" fill="{{.Fill}}" stroke="{{.Stroke}}"/><text x="{{.TextX}}" y="{{.TextY}}" fill="#111">{{.Label}}</text></g>{{end}}
</svg></div></section>
<section class="card" aria-labelledby="h-tbl"><h2 id="h-tbl">Paths</h2>
<div class="table-wrap"><table id="paths"><thead><tr><th scope="col">User</th><th scope="col">Through</th><th scope="col">Permission set</th><th scope="col">AWS account</th></tr></thead><tbody>
{{range $d.Rows}}<tr><td>{{.User}}</td><td>{{.Via}}</td><td>{{.PermissionSet}}</td><td>{{.Account}}</td></tr>
{{else}}<tr><td colspan="4">No access.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,
}
