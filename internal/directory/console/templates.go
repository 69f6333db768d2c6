package console

import "github.com/gatehouse-id/gatehouse/internal/web"

// pages are the console's pages; each defines "content" for web's layout.
// Their sources are kept with the area they belong to (corePages here, the
// others in the files of their handlers).
var pages = web.Templates(corePages, appPages, samlPages, groupAdminPages, provConfigPages, governancePages, reviewPages)

// corePages are the overview, users, groups, audit and provisioning pages.
var corePages = map[string]string{
	"overview": `{{define "content"}}
<section class="card" aria-labelledby="h-dir"><h2 id="h-dir">Directory</h2>
<p><a href="/console/users">{{.Data.Users}} users</a> · <a href="/console/groups">{{.Data.Groups}} groups</a>
{{if .CanChange}} · <a href="/console/users/new">New user</a>{{end}}</p></section>
<section class="card" aria-labelledby="h-apps"><h2 id="h-apps">Enterprise applications</h2>
<div class="table-wrap"><table><caption class="muted">Apps and their provisioning</caption>
<thead><tr><th scope="col">Application</th><th scope="col">Provisioning</th></tr></thead><tbody>
{{range .Data.Apps}}<tr><td><a href="/console/apps/{{.App.ID}}">{{.App.DisplayName}}</a></td><td><a href="/console/apps/{{.App.ID}}/provisioning">{{.Status}}</a></td></tr>
{{else}}<tr><td colspan="2">No apps.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"users": `{{define "content"}}
<section class="card" aria-labelledby="h-search"><h2 id="h-search">Find users</h2>
<form method="get" action="/console/users" role="search">
<label for="q">Name or user principal name starts with</label>
<input type="search" id="q" name="q" value="{{.Data.Query}}" autocomplete="off"
 hx-get="/console/users" hx-trigger="input changed delay:300ms, search" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
<button type="submit">Search</button>
</form>
{{if .CanChange}}<p><a href="/console/users/new">New user</a></p>{{end}}</section>
<section class="card" id="results" aria-labelledby="h-users" aria-live="polite"><h2 id="h-users">{{len .Data.Users}} users</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">User principal name</th><th scope="col">Department</th><th scope="col">Sign-in</th></tr></thead><tbody>
{{range .Data.Users}}<tr><td><a href="/console/users/{{.ID}}">{{.DisplayName}}</a></td><td>{{.UserPrincipalName}}</td><td>{{.Department}}</td>
<td>{{if .AccountEnabled}}<span class="badge on">enabled</span>{{else}}<span class="badge off">disabled</span>{{end}}</td></tr>
{{else}}<tr><td colspan="4">No users match.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"newuser": `{{define "content"}}
<section class="card" aria-labelledby="h-new"><h2 id="h-new">User details</h2>
<form method="post" action="/console/users/new" novalidate>
{{template "csrf" .}}
{{if index .Errors ""}}<p class="field-error">{{index .Errors ""}}</p>{{end}}
{{template "field" (hint "Sign-in name, such as ada@gatehouse.example" (required (auto "off" (field . "upn" "User principal name" "text"))))}}
{{template "field" (required (field . "displayName" "Display name" "text"))}}
{{template "field" (auto "given-name" (field . "givenName" "Given name" "text"))}}
{{template "field" (auto "family-name" (field . "surname" "Surname" "text"))}}
{{template "field" (field . "jobTitle" "Job title" "text")}}
{{template "field" (field . "department" "Department" "text")}}
{{template "field" (hint "At least the length the sign-in policy requires" (required (auto "new-password" (field . "password" "Password" "password"))))}}
<button type="submit">Create user</button>
</form></section>
{{end}}`,

	"user": `{{define "content"}}{{$u := .Data.U}}
<section class="card" aria-labelledby="h-sum"><h2 id="h-sum">Summary</h2>
<dl class="facts"><dt>User principal name</dt><dd id="upn">{{$u.UserPrincipalName}}</dd>
<dt>Sign-in</dt><dd id="account-state">{{if $u.AccountEnabled}}<span class="badge on">enabled</span>{{else}}<span class="badge off">disabled</span>{{end}}</dd>
<dt>Password</dt><dd>{{if .Data.HasPW}}set{{else}}none{{end}}</dd>
<dt>MFA</dt><dd>{{if .Data.HasMFA}}enrolled{{else}}not enrolled{{end}}</dd>
<dt>Object id</dt><dd><code>{{$u.ID}}</code></dd></dl>
{{if and .CanChange (not .Data.IsMyself)}}
{{if $u.AccountEnabled}}<form class="inline" method="post" action="/console/users/{{$u.ID}}/disable">{{template "csrf" .}}<button type="submit" class="danger">Disable sign-in</button></form>
{{else}}<form class="inline" method="post" action="/console/users/{{$u.ID}}/enable">{{template "csrf" .}}<button type="submit">Enable sign-in</button></form>{{end}}
<form class="inline" method="post" action="/console/users/{{$u.ID}}/mfa">{{template "csrf" .}}<button type="submit" class="secondary">Reset MFA</button></form>
{{end}}</section>

<section class="card" aria-labelledby="h-groups"><h2 id="h-groups">Group memberships</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Group</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range .Data.Groups}}<tr><td><a href="/console/groups/{{.ID}}">{{.DisplayName}}</a></td>
{{if $.CanChange}}<td><form method="post" action="/console/users/{{$u.ID}}/groups/remove">{{template "csrf" $}}<input type="hidden" name="group" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Remove from {{.DisplayName}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="2">Not a direct member of any group.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form class="inline" method="post" action="/console/users/{{$u.ID}}/groups/add">{{template "csrf" .}}
<div><label for="f-group">Add to group</label>
<select id="f-group" name="group"{{with index .Errors "group"}} aria-invalid="true" aria-describedby="err-group"{{end}}><option value="">Choose a group</option>
{{range .Data.Others}}<option value="{{.ID}}">{{.DisplayName}}</option>{{end}}</select>
{{with index .Errors "group"}}<p class="field-error" id="err-group">{{.}}</p>{{end}}</div>
<button type="submit">Add</button></form>{{end}}</section>

{{if .CanChange}}
<section class="card" aria-labelledby="h-edit"><h2 id="h-edit">Edit</h2>
<form method="post" action="/console/users/{{$u.ID}}" novalidate>{{template "csrf" .}}
{{template "field" (required (field . "displayName" "Display name" "text"))}}
{{template "field" (field . "givenName" "Given name" "text")}}
{{template "field" (field . "surname" "Surname" "text")}}
{{template "field" (field . "jobTitle" "Job title" "text")}}
{{template "field" (field . "department" "Department" "text")}}
<button type="submit">Save</button></form></section>

<section class="card" aria-labelledby="h-pw"><h2 id="h-pw">Reset password</h2>
<form method="post" action="/console/users/{{$u.ID}}/password" novalidate>{{template "csrf" .}}
{{template "field" (auto "new-password" (field . "newPassword" "New password" "password"))}}
<button type="submit">Reset password</button></form></section>
{{end}}
{{end}}`,

	"audit": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-au"><h2 id="h-au">Records, newest first</h2>
<p class="muted">Append-only and hash-chained: check it with <code>gatehouse audit verify</code>; export with <code>gatehouse audit export</code>.</p>
<form class="filters" method="get" action="/console/audit">
<div><label for="flt-kind">Kind (a trailing * matches a prefix)</label><input type="text" id="flt-kind" name="kind" value="{{$d.Kind}}"></div>
<div><label for="flt-actor">Actor</label><input type="text" id="flt-actor" name="actor" value="{{$d.Actor}}"></div>
<div><label for="flt-subject">Subject</label><input type="text" id="flt-subject" name="subject" value="{{$d.Subject}}"></div>
<div><label for="flt-outcome">Outcome</label><select id="flt-outcome" name="outcome"><option value="">Any</option>
{{range $d.Outcomes}}<option{{if eq . $d.Result}} selected{{end}}>{{.}}</option>{{end}}</select></div>
<div><button type="submit">Filter</button></div></form>
<div class="table-wrap"><table id="audit"><thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Kind</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Outcome</th><th scope="col">Reason</th></tr></thead><tbody>
{{range $d.Records}}<tr><td>{{.Seq}}</td><td>{{.Time.UTC.Format "2006-01-02 15:04:05"}}</td><td>{{.Actor}}</td><td>{{.Kind}}</td><td>{{.Action}}</td><td>{{.Subject}}</td><td>{{.Outcome}}</td><td>{{.Reason}}</td></tr>
{{else}}<tr><td colspan="8">No records match.</td></tr>{{end}}</tbody></table></div>
{{if $d.Older}}<p><a href="{{$d.Older}}">Older records</a></p>{{end}}
</section>
{{end}}`,

	"groups": `{{define "content"}}
<section class="card" aria-labelledby="h-g"><h2 id="h-g">{{len .Data.Groups}} groups</h2>
{{if .CanChange}}<p><a href="/console/groups/new">New group</a></p>{{end}}
<div class="table-wrap"><table><thead><tr><th scope="col">Group</th><th scope="col">Description</th><th scope="col">Direct members</th></tr></thead><tbody>
{{range .Data.Groups}}<tr><td><a href="/console/groups/{{.G.ID}}">{{.G.DisplayName}}</a></td><td>{{.G.Description}}</td><td>{{.Members}}</td></tr>
{{else}}<tr><td colspan="3">No groups.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"group": ownersTemplate + `{{define "content"}}{{$g := .Data.G}}
<section class="card" aria-labelledby="h-m"><h2 id="h-m">Members</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Detail</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range .Data.Members}}<tr><td>{{if eq .Kind "group"}}<a href="/console/groups/{{.ID}}">{{.Name}}</a>{{else}}<a href="/console/users/{{.ID}}">{{.Name}}</a>{{end}}</td>
<td>{{.Kind}}</td><td>{{.Detail}}{{if not .Enabled}} <span class="badge off">disabled</span>{{end}}</td>
{{if $.CanChange}}<td><form method="post" action="/console/groups/{{$g.ID}}/members/remove">{{template "csrf" $}}<input type="hidden" name="member" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Remove {{.Name}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="4">No members.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="/console/groups/{{$g.ID}}/members/add" novalidate>{{template "csrf" .}}
{{template "field" (hint "A user principal name, or the name of a group to nest" (required (field . "member" "Add member" "text")))}}
<button type="submit">Add member</button></form>{{end}}</section>
{{template "owners" .}}
{{if .Data.MemberOf}}<section class="card" aria-labelledby="h-p"><h2 id="h-p">Member of</h2><ul>
{{range .Data.MemberOf}}<li><a href="/console/groups/{{.ID}}">{{.DisplayName}}</a></li>{{end}}</ul></section>{{end}}
{{if .CanChange}}<section class="card" aria-labelledby="h-del"><h2 id="h-del">Delete</h2>
<p><a href="/console/groups/{{$g.ID}}/delete" id="delete-group">Delete this group</a></p></section>{{end}}
{{end}}`,

	"provisioning": appTabsTemplate + provNavTemplate + `{{define "content"}}{{$d := .Data}}{{$st := $d.St}}{{template "apptabs" $d.Tabs}}{{template "provnav" $d.Nav}}
<section class="card" id="status" aria-labelledby="h-st" hx-get="/console/apps/{{$d.App.ID}}/provisioning" hx-trigger="every 3s" hx-select="#status" hx-swap="outerHTML">
<h2 id="h-st">Status</h2>
{{with $st.Quarantine}}<div class="banner-quarantine" role="alert"><strong>Quarantined:</strong> {{.Reason}}{{if .Error}}: {{.Error}}{{end}}
{{if not .NextAttempt.IsZero}}<br>Next attempt: {{.NextAttempt.Format "2006-01-02 15:04:05Z07:00"}}{{end}}</div>{{end}}
<dl class="facts"><dt>State</dt><dd id="prov-state">{{$st.Status}}</dd>
<dt>Target</dt><dd>{{$st.TenantURL}}</dd>
<dt>Provisioned</dt><dd>{{index $st.Provisioned "user"}} users, {{index $st.Provisioned "group"}} groups</dd>
<dt>Escrowed</dt><dd>{{$st.Escrowed}}{{if $st.LastError}} (last error: {{$st.LastError}}){{end}}</dd>
{{if $st.StagedDeletes}}<dt>Staged deletes</dt><dd>{{$st.StagedDeletes}}</dd>{{end}}
{{with $st.LastCycle}}<dt>Last cycle</dt><dd>{{.Finished.Format "2006-01-02 15:04:05Z07:00"}}{{if .Error}} ({{.Error}}){{end}}</dd>{{end}}
{{if $st.NextCycle}}<dt>Next cycle</dt><dd>{{$st.NextCycle}}</dd>{{end}}</dl>
{{with $st.Running}}<p><label for="cycle-progress">Running {{if .Initial}}initial {{end}}cycle: {{.Phase}}, {{.Done}} of {{.Total}}</label>
<progress id="cycle-progress" max="100" value="{{$d.Percent}}">{{$d.Percent}}%</progress></p>{{else}}<p class="muted">No cycle is running.</p>{{end}}
</section>
{{with $d.Dash}}<section class="card" id="dashboard" aria-labelledby="h-dash"><h2 id="h-dash">Dashboard</h2>
<h3 id="h-states">Objects by state</h3>
{{if .StateTotal}}<div class="graph-wrap"><svg id="dash-states" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="dash-states-t dash-states-d" width="{{.Width}}" height="28" viewBox="0 0 {{.Width}} 28">
<title id="dash-states-t">Provisioned objects by state</title><desc id="dash-states-d">{{.StateDesc}}</desc>
{{range .States}}{{if .W}}<rect x="{{.X}}" y="0" width="{{.W}}" height="28" fill="{{.Color}}"><title>{{.Label}}: {{.Count}}</title></rect>{{end}}{{end}}
</svg></div>
<ul class="legend">{{range .States}}<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{{.Color}}"/></svg> {{.Label}}: <strong>{{.Count}}</strong></li>{{end}}</ul>
{{else}}<p class="muted">No objects are provisioned yet.</p>{{end}}
<h3 id="h-timeline">Cycles of the last 24 hours</h3>
<div class="graph-wrap"><svg id="dash-timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="dash-timeline-t dash-timeline-d" width="{{.Width}}" height="{{.TimelineH}}" viewBox="0 0 {{.Width}} {{.TimelineH}}" font-family="system-ui, sans-serif" font-size="12">
<title id="dash-timeline-t">Provisioning cycles in the last 24 hours, oldest first</title><desc id="dash-timeline-d">{{.CycleDesc}}</desc>
<line x1="0" y1="{{.BaselineY}}" x2="{{.Width}}" y2="{{.BaselineY}}" stroke="#64748b"/>
<text x="0" y="{{.AxisLabelsY}}" fill="#374151">{{.From}}</text><text x="{{.Width}}" y="{{.AxisLabelsY}}" text-anchor="end" fill="#374151">{{.To}}</text>
{{range .Cycles}}<g class="cycle"><title>{{.Title}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#2563eb"/>{{if .FH}}<rect x="{{.X}}" y="{{.FailY}}" width="{{.W}}" height="{{.FH}}" fill="#dc2626"/>{{end}}</g>{{end}}
</svg></div><p class="muted">{{.CycleDesc}} One bar per cycle, oldest first; height: changes in the cycle; red: failed.{{if .Truncated}} Only the latest 5,000 log entries are drawn.{{end}}</p>
<h3 id="h-errors">Errors by code</h3>
{{if .Errors}}<div class="graph-wrap"><svg id="dash-errors" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="dash-errors-t dash-errors-d" width="{{.Width}}" height="{{.ErrorsH}}" viewBox="0 0 {{.Width}} {{.ErrorsH}}" font-family="system-ui, sans-serif" font-size="13">
<title id="dash-errors-t">Failures in the last 24 hours by error code</title><desc id="dash-errors-d">{{.ErrorDesc}}</desc>
{{range .Errors}}<text x="0" y="{{.TextY}}" fill="#111">{{.Code}}</text><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="16" fill="#dc2626"><title>{{.Code}}: {{.Count}}</title></rect><text x="{{.CountX}}" y="{{.TextY}}" fill="#111">{{.Count}}</text>{{end}}
</svg></div>{{else}}<p class="muted">{{.ErrorDesc}}</p>{{end}}
</section>{{end}}
{{if .CanChange}}<section class="card" aria-labelledby="h-ctl"><h2 id="h-ctl">Control</h2>
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/provisioning/start">{{template "csrf" .}}<button type="submit">Start provisioning</button></form>
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/provisioning/stop">{{template "csrf" .}}<button type="submit" class="danger">Stop provisioning</button></form>
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/provisioning/restart">{{template "csrf" .}}<button type="submit" class="secondary">Restart provisioning</button></form>
<form method="post" action="/console/apps/{{$d.App.ID}}/provisioning/ondemand" novalidate>{{template "csrf" .}}
{{template "field" (hint "A user principal name or a group name" (required (field . "subject" "Provision on demand" "text")))}}
<button type="submit">Provision</button></form>
{{if $d.OnDemand}}<h3>On-demand result</h3><ol>{{range $d.OnDemand}}<li>{{.Action}} {{.Kind}} {{.SourceName}}: {{.Status}}{{if .ErrorMsg}} ({{.ErrorMsg}}){{end}}
<ul>{{range .Steps}}<li>{{.Type}} {{.Name}}: {{.Status}} {{.Details}}</li>{{end}}</ul></li>{{end}}</ol>{{end}}
</section>{{end}}
<section class="card" aria-labelledby="h-logs"><h2 id="h-logs">Provisioning logs</h2>
<form class="filters" method="get" action="/console/apps/{{$d.App.ID}}/provisioning">
<div><label for="flt-action">Action</label><select id="flt-action" name="action"><option value="">Any</option>
{{range $d.Actions}}<option{{if eq . $d.Action}} selected{{end}}>{{.}}</option>{{end}}</select></div>
<div><label for="flt-status">Status</label><select id="flt-status" name="status"><option value="">Any</option>
{{range $d.Statuses}}<option{{if eq . $d.Status}} selected{{end}}>{{.}}</option>{{end}}</select></div>
<div><label for="flt-object">Object (name, id or kind)</label><input type="text" id="flt-object" name="object" value="{{$d.Object}}"></div>
<div><button type="submit">Filter</button></div></form>
<div class="table-wrap"><table id="logs"><thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Object</th><th scope="col">Kind</th><th scope="col">Error</th></tr></thead><tbody>
{{range $d.Logs}}<tr><td>{{.At.Format "2006-01-02 15:04:05"}}</td><td>{{.Action}}</td><td>{{.Status}}</td><td>{{.SourceName}}</td><td>{{.Kind}}</td><td>{{.ErrorCode}} {{.ErrorMsg}}</td></tr>
{{else}}<tr><td colspan="6">No log entries match.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,
}
