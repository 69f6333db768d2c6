package console

// assignmentsData is a table of assignments whose Remove buttons come back
// to Path.
type assignmentsData struct {
	Assignments []assignmentRow
	Path        string
}

// assignmentTable lists .Data.Assignments with links to each account,
// permission set and principal, and Remove buttons that come back to
// .Data.Path.
const assignmentTable = `{{define "assignment-table"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-as"><h2 id="h-as">{{len $d.Assignments}} assignments</h2>
{{if .CanChange}}<p><a href="/console/assignments/new" id="assign">Assign users or groups</a></p>{{end}}
<div class="table-wrap"><table id="assignments"><thead><tr><th scope="col">AWS account</th><th scope="col">Permission set</th><th scope="col">Principal</th><th scope="col">Type</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $d.Assignments}}<tr><td><a href="{{.AccountPath}}">{{.Account.Name}}</a> <span class="muted">{{.Account.ID}}</span></td><td><a href="{{.PSPath}}">{{.PS.Name}}</a></td><td><a href="{{.PrincipalPath}}">{{.Principal}}</a></td><td>{{.Type}}</td>
{{if $.CanChange}}<td><form method="post" action="/console/assignments/delete">{{template "csrf" $}}<input type="hidden" name="account" value="{{.Account.ID}}"><input type="hidden" name="permissionSet" value="{{.PS.ARN}}"><input type="hidden" name="principal" value="{{.Type}}:{{.PrincipalID}}"><input type="hidden" name="next" value="{{$d.Path}}">
<button type="submit" class="secondary" aria-label="Remove {{.PS.Name}} in {{.Account.Name}} from {{.Principal}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="5">No assignments.</td></tr>{{end}}</tbody></table></div></section>{{end}}`

// policyFields are the fields the create form and the permission set page
// share: the session duration (.Data.Durations), the AWS managed policy
// picker (.Data.Policies) and the inline policy.
const policyFields = `{{define "duration"}}<div class="field"><label for="f-sessionDuration">Session duration</label>
<select id="f-sessionDuration" name="sessionDuration"{{with index .Errors "sessionDuration"}} aria-invalid="true" aria-describedby="err-sessionDuration"{{else}} aria-describedby="hint-sessionDuration"{{end}}>
{{$cur := index .Form "sessionDuration"}}{{range .Data.Durations}}<option{{if eq . $cur}} selected{{end}}>{{.}}</option>{{end}}</select>
<p class="muted" id="hint-sessionDuration">How long an AWS console session lasts: 1 to 12 hours.</p>
{{with index .Errors "sessionDuration"}}<p class="field-error" id="err-sessionDuration">{{.}}</p>{{end}}</div>{{end}}
{{define "managed-picker"}}<fieldset class="field checks"><legend>AWS managed policies</legend>
{{range $i, $p := .Data.Policies}}<div><input type="checkbox" id="mp-{{$i}}" name="managed" value="{{$p.ARN}}"{{if $p.Checked}} checked{{end}}> <label for="mp-{{$i}}">{{$p.Name}} <span class="muted">{{$p.ARN}}</span></label></div>
{{else}}<p class="muted">Every policy of this list is attached.</p>{{end}}
</fieldset>
<div class="field"><label for="f-managedOther">Other AWS managed policy ARNs</label>
<textarea id="f-managedOther" name="managedOther" rows="2"{{with index .Errors "managedOther"}} aria-invalid="true" aria-describedby="err-managedOther"{{else}} aria-describedby="hint-managedOther"{{end}}>{{index .Form "managedOther"}}</textarea>
<p class="muted" id="hint-managedOther">One per line, such as arn:aws:iam::aws:policy/job-function/DataScientist.</p>
{{with index .Errors "managedOther"}}<p class="field-error" id="err-managedOther">{{.}}</p>{{end}}</div>{{end}}
{{define "inline-policy"}}<div class="field"><label for="f-inlinePolicy">Inline policy (JSON)</label>
<textarea id="f-inlinePolicy" name="inlinePolicy" rows="8" spellcheck="false"{{with index .Errors "inlinePolicy"}} aria-invalid="true" aria-describedby="err-inlinePolicy"{{else}} aria-describedby="hint-inlinePolicy"{{end}}>{{index .Form "inlinePolicy"}}</textarea>
<p class="muted" id="hint-inlinePolicy">An IAM policy document: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}, at most 32,768 characters (10,240 other than white space). A JSON error is shown with its line and column.</p>
{{with index .Errors "inlinePolicy"}}<p class="field-error" id="err-inlinePolicy">{{.}}</p>{{end}}</div>{{end}}`

// objectPages are the pages of one permission set, account, user or group.
var objectPages = map[string]string{
	"permission-set": `{{define "content"}}{{$d := .Data}}{{$ps := $d.PS}}
<p><a href="/console/permission-sets">All permission sets</a></p>
{{with index .Errors ""}}<p class="field-error">{{.}}</p>{{end}}
<section class="card" aria-labelledby="h-set"><h2 id="h-set">Settings</h2>
<dl class="facts"><dt>Name</dt><dd id="ps-name">{{$ps.Name}}</dd>
<dt>ARN</dt><dd><code>{{$ps.ARN}}</code></dd>
<dt>Created</dt><dd>{{$d.Created}}</dd>
<dt>Description</dt><dd id="ps-description">{{$ps.Description}}</dd>
<dt>Session duration</dt><dd id="ps-duration">{{$ps.SessionDuration}}</dd>
<dt>Relay state</dt><dd>{{if $ps.RelayState}}<code>{{$ps.RelayState}}</code>{{else}}<span class="muted">none</span>{{end}}</dd></dl>
{{if .CanChange}}<form method="post" action="{{$d.Path}}" novalidate>{{template "csrf" .}}
{{template "field" (hint "Up to 700 characters. Optional." (field . "description" "Description" "text"))}}
{{template "duration" .}}
{{template "field" (hint "The page of the AWS console that opens after sign-in, such as https://console.aws.amazon.com/s3/. Optional." (auto "off" (field . "relayState" "Relay state" "text")))}}
<button type="submit">Save settings</button></form>{{end}}
</section>

<section class="card" aria-labelledby="h-mp"><h2 id="h-mp">AWS managed policies</h2>
<p class="muted">{{len $ps.ManagedPolicies}} AWS managed and {{len $ps.CustomerManagedPolicies}} customer managed policies attached, of {{$d.MaxAttached}} at most.</p>
<div class="table-wrap"><table id="managed-policies"><thead><tr><th scope="col">Policy</th><th scope="col">ARN</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $d.Attached}}<tr><td>{{.Name}}</td><td><code>{{.ARN}}</code></td>
{{if $.CanChange}}<td><form method="post" action="{{$d.Path}}/managed-policies/detach">{{template "csrf" $}}<input type="hidden" name="arn" value="{{.ARN}}"><button type="submit" class="secondary" aria-label="Detach {{.Name}}">Detach</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="3">None attached.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="{{$d.Path}}/managed-policies" novalidate>{{template "csrf" .}}
{{template "managed-picker" .}}
<button type="submit">Attach policies</button></form>{{end}}
</section>

<section class="card" aria-labelledby="h-cmp"><h2 id="h-cmp">Customer managed policies</h2>
<p class="muted">Policies of your own, by name and path: each must exist in every account the permission set is assigned in.</p>
<div class="table-wrap"><table id="customer-policies"><thead><tr><th scope="col">Name</th><th scope="col">Path</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $ps.CustomerManagedPolicies}}<tr><td>{{.Name}}</td><td><code>{{.Path}}</code></td>
{{if $.CanChange}}<td><form method="post" action="{{$d.Path}}/customer-policies/detach">{{template "csrf" $}}<input type="hidden" name="name" value="{{.Name}}"><input type="hidden" name="path" value="{{.Path}}"><button type="submit" class="secondary" aria-label="Detach {{.Path}}{{.Name}}">Detach</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="3">None attached.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="{{$d.Path}}/customer-policies" novalidate>{{template "csrf" .}}
{{template "field" (hint "Up to 128 letters, digits and +=,.@-_" (required (auto "off" (field . "cmpName" "Policy name" "text"))))}}
{{template "field" (hint "Begins and ends with /, such as /engineering/; / when empty." (auto "off" (field . "cmpPath" "Path" "text")))}}
<button type="submit">Attach policy</button></form>{{end}}
</section>

<section class="card" aria-labelledby="h-inl"><h2 id="h-inl">Inline policy</h2>
{{if $ps.InlinePolicy}}<div class="table-wrap"><pre id="inline-policy">{{$ps.InlinePolicy}}</pre></div>{{else}}<p class="muted" id="inline-policy">No inline policy.</p>{{end}}
{{if .CanChange}}<form method="post" action="{{$d.Path}}/inline-policy" novalidate>{{template "csrf" .}}
{{template "inline-policy" .}}
<button type="submit">Save inline policy</button></form>
{{if $ps.InlinePolicy}}<form method="post" action="{{$d.Path}}/inline-policy/delete">{{template "csrf" .}}<button type="submit" class="secondary">Remove inline policy</button></form>{{end}}{{end}}
</section>

<section class="card" aria-labelledby="h-pb"><h2 id="h-pb">Permissions boundary</h2>
<p id="boundary">{{with $ps.PermissionsBoundary}}{{if .CustomerManagedPolicyReference}}Customer managed policy <code>{{.CustomerManagedPolicyReference.Path}}{{.CustomerManagedPolicyReference.Name}}</code>{{else}}AWS managed policy <code>{{.ManagedPolicyArn}}</code>{{end}}{{else}}<span class="muted">No permissions boundary: the policies above alone decide.</span>{{end}}</p>
{{if .CanChange}}<form method="post" action="{{$d.Path}}/boundary" novalidate>{{template "csrf" .}}
{{$kind := index .Form "boundaryKind"}}
<fieldset class="field checks" id="f-boundaryKind"{{with index .Errors "boundaryKind"}} aria-invalid="true" aria-describedby="err-boundaryKind"{{end}}><legend>The most the role may do</legend>
{{range $d.BoundaryKinds}}<div><input type="radio" id="bk-{{.Value}}" name="boundaryKind" value="{{.Value}}"{{if eq .Value $kind}} checked{{end}}> <label for="bk-{{.Value}}">{{.Label}}</label></div>{{end}}
{{with index .Errors "boundaryKind"}}<p class="field-error" id="err-boundaryKind">{{.}}</p>{{end}}</fieldset>
{{template "field" (hint "For an AWS managed policy, such as arn:aws:iam::aws:policy/PowerUserAccess." (auto "off" (field . "boundaryArn" "AWS managed policy ARN" "text")))}}
{{template "field" (hint "For a customer managed policy." (auto "off" (field . "boundaryName" "Customer managed policy name" "text")))}}
{{template "field" (hint "Begins and ends with /; / when empty." (auto "off" (field . "boundaryPath" "Customer managed policy path" "text")))}}
<button type="submit">Save boundary</button></form>{{end}}
</section>

<section class="card" aria-labelledby="h-tags"><h2 id="h-tags">Tags</h2>
<div class="table-wrap"><table id="tags"><thead><tr><th scope="col">Key</th><th scope="col">Value</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $ps.Tags}}<tr><td>{{.Key}}</td><td>{{.Value}}</td>
{{if $.CanChange}}<td><form method="post" action="{{$d.Path}}/tags/delete">{{template "csrf" $}}<input type="hidden" name="key" value="{{.Key}}"><button type="submit" class="secondary" aria-label="Remove tag {{.Key}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="3">No tags.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="{{$d.Path}}/tags" novalidate>{{template "csrf" .}}
{{template "field" (hint "A key already used gets the new value." (required (auto "off" (field . "tagKey" "Key" "text"))))}}
{{template "field" (auto "off" (field . "tagValue" "Value" "text"))}}
<button type="submit">Add tag</button></form>{{end}}
</section>

{{template "assignment-table" .}}

{{if .CanChange}}<section class="card" aria-labelledby="h-del"><h2 id="h-del">Delete permission set</h2>
<p class="muted">A permission set that is assigned in an AWS account cannot be deleted: remove its assignments first.</p>
<form method="post" action="{{$d.Path}}/delete">{{template "csrf" .}}
<div class="field"><button type="submit" class="danger" id="f-delete"{{with index .Errors "delete"}} aria-invalid="true" aria-describedby="err-delete"{{end}}>Delete {{$ps.Name}}</button>
{{with index .Errors "delete"}}<p class="field-error" id="err-delete" role="alert">{{.}}</p>{{end}}</div></form></section>{{end}}
{{end}}` + policyFields + assignmentTable,

	"account": `{{define "content"}}{{$d := .Data}}{{$acct := $d.Account}}
<p><a href="/console/accounts">All AWS accounts</a></p>
<section class="card" aria-labelledby="h-acct"><h2 id="h-acct">Account</h2>
<dl class="facts"><dt>Account id</dt><dd id="account-id">{{$acct.ID}}</dd>
<dt>Name</dt><dd id="account-name">{{$acct.Name}}</dd>
<dt>Email</dt><dd id="account-email">{{$acct.Email}}</dd>
<dt>Kind</dt><dd>{{if $acct.RealAWS}}real AWS account{{else}}simulated{{end}}</dd>
<dt>Added</dt><dd>{{$d.Created}}</dd></dl>
{{if .CanChange}}<form method="post" action="{{$d.Path}}" novalidate>{{template "csrf" .}}
{{template "field" (required (field . "name" "Account name" "text"))}}
{{template "field" (required (field . "email" "Email" "text"))}}
<div class="field"><input type="checkbox" id="f-realAWS" name="realAWS" value="1"{{if index .Form "realAWS"}} checked{{end}}> <label class="inline-label" for="f-realAWS">A real AWS account (the portal federates into the AWS console)</label></div>
<button type="submit">Save account</button></form>{{end}}
</section>

{{template "assignment-table" .}}

{{if .CanChange}}<section class="card" aria-labelledby="h-del"><h2 id="h-del">Remove account</h2>
<p class="muted">The center stops granting access to the account. Its assignments go with it, and the sessions that relied on them end at once.</p>
<form method="post" action="{{$d.Path}}/delete" novalidate>{{template "csrf" .}}
{{if $d.Assignments}}<div class="field"><input type="checkbox" id="f-confirm" name="confirm" value="1"{{with index .Errors "confirm"}} aria-invalid="true" aria-describedby="err-confirm"{{end}}> <label class="inline-label" for="f-confirm">Also remove its {{len $d.Assignments}} assignments</label>
{{with index .Errors "confirm"}}<p class="field-error" id="err-confirm">{{.}}</p>{{end}}</div>{{end}}
<button type="submit" class="danger">Remove {{$acct.Name}}</button></form></section>{{end}}
{{end}}` + assignmentTable,

	"user": `{{define "content"}}{{$d := .Data}}{{$u := $d.User}}
<p><a href="/console/users">All users</a></p>
<section class="card" aria-labelledby="h-user"><h2 id="h-user">User</h2>
<dl class="facts"><dt>User name</dt><dd id="user-name">{{$u.UserName}}</dd>
<dt>Display name</dt><dd>{{$u.DisplayName}}</dd>
<dt>Email</dt><dd>{{$u.PrimaryEmail}}</dd>
<dt>Status</dt><dd>{{if $u.Active}}<span class="badge on">enabled</span>{{else}}<span class="badge off">disabled</span>{{end}}</dd>
<dt>User id</dt><dd><code>{{$u.ID}}</code></dd>
{{if $u.ExternalID}}<dt>External id</dt><dd><code>{{$u.ExternalID}}</code></dd>{{end}}</dl>
<p class="muted">Users come from your identity source over SCIM; change them there.</p></section>
<section class="card" aria-labelledby="h-ug"><h2 id="h-ug">{{len $d.Groups}} groups</h2>
<ul id="user-groups">{{range $d.Groups}}<li><a href="/console/groups/{{.ID}}">{{.DisplayName}}</a></li>{{else}}<li class="muted">No groups.</li>{{end}}</ul></section>
<section class="card" aria-labelledby="h-ua"><h2 id="h-ua">Access</h2>
<p class="muted">Every AWS account and permission set the user can use at the access portal, assigned directly or through a group. <a href="/console/access-graph?user={{$u.ID}}">Access graph</a></p>
<div class="table-wrap"><table id="access"><thead><tr><th scope="col">AWS account</th><th scope="col">Permission set</th><th scope="col">Through</th></tr></thead><tbody>
{{range $d.Access}}<tr><td><a href="/console/accounts/{{.Account.ID}}">{{.Account.Name}}</a> <span class="muted">{{.Account.ID}}</span></td><td><a href="{{$.Data.PSPath .PermissionSet}}">{{.PermissionSet.Name}}</a></td>
<td>{{range $i, $v := .Via}}{{if $i}}, {{end}}{{if $v.Direct}}direct{{else}}group <a href="/console/groups/{{$v.GroupID}}">{{$v.GroupDisplayName}}</a>{{end}}{{end}}</td></tr>
{{else}}<tr><td colspan="3">No access.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"group": `{{define "content"}}{{$d := .Data}}{{$g := $d.Group}}
<p><a href="/console/groups">All groups</a></p>
<section class="card" aria-labelledby="h-group"><h2 id="h-group">Group</h2>
<dl class="facts"><dt>Name</dt><dd id="group-name">{{$g.DisplayName}}</dd>
<dt>Group id</dt><dd><code>{{$g.ID}}</code></dd>
{{if $g.ExternalID}}<dt>External id</dt><dd><code>{{$g.ExternalID}}</code></dd>{{end}}</dl>
<p class="muted">Groups and their members come from your identity source over SCIM; change them there.</p></section>
<section class="card" aria-labelledby="h-gm"><h2 id="h-gm">{{len $d.Members}} members</h2>
<div class="table-wrap"><table id="members"><thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">Status</th></tr></thead><tbody>
{{range $d.Members}}<tr><td><a href="/console/users/{{.ID}}">{{.UserName}}</a></td><td>{{.DisplayName}}</td>
<td>{{if .Active}}<span class="badge on">enabled</span>{{else}}<span class="badge off">disabled</span>{{end}}</td></tr>
{{else}}<tr><td colspan="3">No members.</td></tr>{{end}}</tbody></table></div></section>
{{template "assignment-table" .}}
{{end}}` + assignmentTable,
}
