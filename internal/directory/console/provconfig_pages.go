package console

// provNav is the provisioning pages' own navigation; Cur is the current one.
type provNav struct{ AppID, Cur string }

// provNavTemplate is the navigation partial of the provisioning pages,
// below the app's tabs (each page is parsed on its own, so each carries it).
const provNavTemplate = `{{define "provnav"}}<nav class="tabs" aria-label="Provisioning"><ul>
<li><a href="/console/apps/{{.AppID}}/provisioning"{{if eq .Cur "status"}} aria-current="page"{{end}}>Status and logs</a></li>
<li><a href="/console/apps/{{.AppID}}/provisioning/settings"{{if eq .Cur "settings"}} aria-current="page"{{end}}>Settings and scoping filters</a></li>
<li><a href="/console/apps/{{.AppID}}/provisioning/mappings"{{if eq .Cur "mappings"}} aria-current="page"{{end}}>Attribute mappings</a></li>
</ul></nav>{{end}}`

// provConfigPages are the provisioning configuration pages: settings (admin
// credentials, settings, scoping filters) and attribute mappings.
var provConfigPages = map[string]string{
	"provsettings": appTabsTemplate + provNavTemplate + `{{define "content"}}{{$d := .Data}}{{$base := printf "/console/apps/%s/provisioning" $d.App.ID}}
{{template "apptabs" $d.Tabs}}{{template "provnav" $d.Nav}}
{{if not $d.Configured}}<p class="muted" id="not-configured">Provisioning is not configured: enter the target's tenant URL and secret token and save. It starts with the default settings and mappings, which you can change afterwards.</p>{{end}}
{{if .CanChange}}<form method="post" action="{{$base}}/settings" novalidate>{{template "csrf" .}}
<section class="card" aria-labelledby="h-cred"><h2 id="h-cred">Admin credentials</h2>
{{template "field" (hint "The target's SCIM base URL, such as https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2" (required (auto "off" (field . "tenantUrl" "Tenant URL" "text"))))}}
{{if $d.TokenSet}}{{template "field" (hint "A token is set; it is stored encrypted and never shown. Leave this empty to keep it, or enter a new one to replace it." (auto "new-password" (field . "token" "Secret token" "password")))}}
{{else}}{{template "field" (hint "The bearer token the target issued for provisioning (AWS IAM Identity Center: Settings, Automatic provisioning)." (required (auto "new-password" (field . "token" "Secret token" "password"))))}}{{end}}
<button type="submit" class="secondary" formaction="{{$base}}/settings/test" hx-post="{{$base}}/settings/test" hx-select="#test-result" hx-target="#test-result" hx-swap="outerHTML">Test Connection</button>
<div id="test-result">{{with $d.Test}}{{if .OK}}<p class="flash" role="status">{{.Message}}</p>{{else}}<p class="error" role="alert">{{.Message}}</p>{{end}}{{end}}</div>
</section>
<section class="card" aria-labelledby="h-set"><h2 id="h-set">Settings</h2>
<p class="muted">Saving starts an initial cycle with the new settings, as in Entra.</p>
<fieldset class="field checks"{{with index .Errors "scope"}} aria-invalid="true" aria-describedby="err-scope"{{end}}><legend>Scope</legend>
<div><input type="radio" id="f-scope" name="scope" value="assigned"{{if eq (index .Form "scope") "assigned"}} checked{{end}}> <label for="f-scope">Sync only assigned users and groups</label></div>
<div><input type="radio" id="f-scope-all" name="scope" value="all"{{if eq (index .Form "scope") "all"}} checked{{end}}> <label for="f-scope-all">Sync all users and groups</label></div>
{{with index .Errors "scope"}}<p class="field-error" id="err-scope">{{.}}</p>{{end}}</fieldset>
<fieldset class="field checks"><legend>Groups</legend>
<div><input type="checkbox" id="f-provisionGroups" name="provisionGroups" value="on"{{if index .Form "provisionGroups"}} checked{{end}}> <label for="f-provisionGroups">Provision groups and their members</label></div>
<div><input type="checkbox" id="f-flattenNested" name="flattenNested" value="on"{{if index .Form "flattenNested"}} checked{{end}}> <label for="f-flattenNested">Flatten nested groups: a target group gets the users of the groups nested in it (AWS has no nested groups)</label></div>
</fieldset>
{{template "field" (hint "Disables and deletes beyond this many in one cycle wait for approval; 0 turns the check off. Entra's default is 500." (required (field . "deletionThreshold" "Accidental deletion threshold" "number")))}}
{{template "field" (hint "How often a full reconciliation cycle runs, such as 40m (Entra's interval) or 2h; changes flow at once in between." (required (auto "off" (field . "interval" "Cycle interval" "text"))))}}
{{template "field" (hint "The most requests per second sent to the target; 0 for no limit. AWS IAM Identity Center allows about 25." (auto "off" (field . "rateLimit" "Rate limit (requests per second)" "text")))}}
<div class="field"><label for="f-dialect">Group members</label>
<select id="f-dialect" name="dialect"{{with index .Errors "dialect"}} aria-invalid="true" aria-describedby="err-dialect"{{end}}>
<option value="aws"{{if eq (index .Form "dialect") "aws"}} selected{{end}}>AWS: read with a groups filter (AWS never returns members)</option>
<option value="rfc"{{if eq (index .Form "dialect") "rfc"}} selected{{end}}>RFC 7643: read the group's members attribute</option></select>
{{with index .Errors "dialect"}}<p class="field-error" id="err-dialect">{{.}}</p>{{end}}</div>
<button type="submit">Save</button>
</section></form>
{{else}}<section class="card" aria-labelledby="h-cred"><h2 id="h-cred">Admin credentials</h2>
<dl class="facts"><dt>Tenant URL</dt><dd id="tenant-url">{{$d.Set.TenantURL}}</dd>
<dt>Secret token</dt><dd id="token-state">{{if $d.TokenSet}}set (stored encrypted, never shown){{else}}not set{{end}}</dd></dl></section>
<section class="card" aria-labelledby="h-set"><h2 id="h-set">Settings</h2>
<dl class="facts"><dt>Scope</dt><dd>{{if eq $d.Set.Scope "all"}}Sync all users and groups{{else}}Sync only assigned users and groups{{end}}</dd>
<dt>Provision groups</dt><dd>{{if $d.Set.ProvisionGroups}}yes{{else}}no{{end}}</dd>
<dt>Flatten nested groups</dt><dd>{{if $d.Set.FlattenNested}}yes{{else}}no{{end}}</dd>
<dt>Accidental deletion threshold</dt><dd>{{if $d.Set.DeletionThreshold}}{{$d.Set.DeletionThreshold}}{{else}}off{{end}}</dd>
<dt>Cycle interval</dt><dd>{{$d.Interval}}</dd>
<dt>Rate limit</dt><dd>{{if $d.Set.RateLimit}}{{$d.Set.RateLimit}} requests per second{{else}}none{{end}}</dd>
<dt>Group members</dt><dd>{{if eq $d.Set.Dialect "rfc"}}RFC 7643{{else}}AWS{{end}}</dd></dl></section>{{end}}

<section class="card" aria-labelledby="h-scope"><h2 id="h-scope">Scoping filters (users)</h2>
<p class="muted">With filters, a user in scope is provisioned only if they pass at least one filter, that is, every clause of that filter holds. An empty or missing value fails every operator except IS NULL.</p>
{{range $d.Filters}}{{$f := .}}<h3 id="filter-{{.N}}">Filter {{.N}}</h3>
<div class="table-wrap"><table class="scoping"><thead><tr><th scope="col">Attribute</th><th scope="col">Operator</th><th scope="col">Value</th>{{if $.CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range .Clauses}}<tr><td>{{.Attribute}}</td><td>{{.Operator}}</td><td>{{.Value}}</td>
{{if $.CanChange}}<td><form method="post" action="{{$base}}/filters/remove">{{template "csrf" $}}<input type="hidden" name="filter" value="{{$f.N}}"><input type="hidden" name="clause" value="{{.N}}">
<input type="hidden" name="attribute" value="{{.Attribute}}"><input type="hidden" name="operator" value="{{.Operator}}"><input type="hidden" name="value" value="{{.Value}}">
<button type="submit" class="secondary" aria-label="Remove clause {{.N}} of filter {{$f.N}}">Remove</button></form></td>{{end}}</tr>
{{end}}</tbody></table></div>
{{else}}<p id="no-filters">No scoping filters: every user in scope is provisioned.</p>{{end}}
{{if and .CanChange $d.Configured}}<h3 id="h-add-clause">Add a clause</h3>
<form method="post" action="{{$base}}/filters" novalidate>{{template "csrf" .}}
<div class="field"><label for="f-filter">To</label>
<select id="f-filter" name="filter"{{with index .Errors "filter"}} aria-invalid="true" aria-describedby="err-filter"{{end}}>
<option value="new">A new filter (ORed with the others)</option>
{{range $d.Filters}}<option value="{{.N}}"{{if eq (print .N) (index $.Form "filter")}} selected{{end}}>Filter {{.N}} (ANDed with its clauses)</option>{{end}}</select>
{{with index .Errors "filter"}}<p class="field-error" id="err-filter">{{.}}</p>{{end}}</div>
<div class="field"><label for="f-attribute">Source attribute</label>
<input type="text" id="f-attribute" name="attribute" value="{{index .Form "attribute"}}" list="user-attributes" autocomplete="off" required{{with index .Errors "attribute"}} aria-invalid="true" aria-describedby="err-attribute"{{end}}>
{{with index .Errors "attribute"}}<p class="field-error" id="err-attribute">{{.}}</p>{{end}}</div>
<datalist id="user-attributes">{{range $d.UserAttrs}}<option value="{{.}}">{{end}}</datalist>
<div class="field"><label for="f-operator">Operator</label>
<select id="f-operator" name="operator"{{with index .Errors "operator"}} aria-invalid="true" aria-describedby="err-operator"{{end}}>
{{range $d.Operators}}<option value="{{.Op}}"{{if eq .Op (index $.Form "operator")}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{with index .Errors "operator"}}<p class="field-error" id="err-operator">{{.}}</p>{{end}}</div>
{{template "field" (hint "Not used by IS TRUE, IS FALSE, IS NULL and IS NOT NULL" (auto "off" (field . "value" "Value" "text")))}}
<button type="submit">Add clause</button></form>{{end}}
</section>
{{end}}`,

	"provmappings": appTabsTemplate + provNavTemplate + `{{define "content"}}{{$d := .Data}}{{$base := printf "/console/apps/%s/provisioning" $d.App.ID}}
{{template "apptabs" $d.Tabs}}{{template "provnav" $d.Nav}}
{{if not $d.Configured}}<p class="muted" id="not-configured">Provisioning is not configured: these are the mappings it will start with. Save the admin credentials on the <a href="{{$base}}/settings">settings</a> page first to change them.</p>{{end}}
{{range $d.Tables}}{{$t := .}}<section class="card" aria-labelledby="h-{{.Kind}}-maps"><h2 id="h-{{.Kind}}-maps">{{.Title}}</h2>
<div class="table-wrap"><table class="mappings" id="{{.Kind}}-mappings"><thead><tr><th scope="col">Target attribute</th><th scope="col">Type</th><th scope="col">Source</th><th scope="col">Default</th><th scope="col">Matching</th><th scope="col">Apply</th>{{if and $.CanChange $d.Configured}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range .List}}<tr><td><code>{{.Target}}</code></td><td>{{.Type}}</td><td><code>{{.Source}}</code></td><td>{{.Default}}</td><td>{{if .Match}}precedence {{.Match}}{{end}}</td><td>{{if eq .Apply "create"}}on create{{else}}always{{end}}</td>
{{if and $.CanChange $d.Configured}}<td><a href="{{$base}}/mappings?kind={{$t.Kind}}&amp;edit={{.Target}}#h-form" aria-label="Edit the mapping to {{.Target}}">Edit</a>
<form class="inline" method="post" action="{{$base}}/mappings/delete">{{template "csrf" $}}<input type="hidden" name="kind" value="{{$t.Kind}}"><input type="hidden" name="target" value="{{.Target}}"><button type="submit" class="secondary" aria-label="Delete the mapping to {{.Target}}">Delete</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="7">No mappings.</td></tr>{{end}}</tbody></table></div></section>
{{end}}
{{if and .CanChange $d.Configured}}<section class="card" aria-labelledby="h-form"><h2 id="h-form">{{if $d.Editing}}Edit the mapping to {{$d.Editing}}{{else}}Add a mapping{{end}}</h2>
<form method="post" action="{{$base}}/mappings" novalidate>{{template "csrf" .}}
<input type="hidden" name="was" value="{{$d.Editing}}">
{{if $d.Editing}}<input type="hidden" id="f-kind" name="kind" value="{{index .Form "kind"}}"><p>Object: {{if eq (index .Form "kind") "group"}}groups{{else}}users{{end}}</p>
{{else}}<div class="field"><label for="f-kind">Object</label>
<select id="f-kind" name="kind"{{with index .Errors "kind"}} aria-invalid="true" aria-describedby="err-kind"{{end}}>
{{range $d.Kinds}}<option value="{{.Value}}"{{if eq .Value (index $.Form "kind")}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{with index .Errors "kind"}}<p class="field-error" id="err-kind">{{.}}</p>{{end}}</div>{{end}}
<div class="field"><label for="f-type">Mapping type</label>
<select id="f-type" name="type" hx-get="{{$base}}/mappings/check" hx-include="#f-kind, #f-source" hx-trigger="change" hx-target="#check-source" hx-swap="outerHTML"{{with index .Errors "type"}} aria-invalid="true" aria-describedby="err-type"{{end}}>
{{range $d.Types}}<option value="{{.Value}}"{{if eq .Value (index $.Form "type")}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{with index .Errors "type"}}<p class="field-error" id="err-type">{{.}}</p>{{end}}</div>
<div class="field"><label for="f-source">Source: attribute, constant value or expression</label>
<textarea id="f-source" name="source" rows="2" spellcheck="false" autocomplete="off" required hx-get="{{$base}}/mappings/check" hx-include="#f-kind, #f-type" hx-trigger="input changed delay:300ms" hx-target="#check-source" hx-swap="outerHTML"{{if index .Errors "source"}} aria-invalid="true"{{end}} aria-describedby="hint-source check-source">{{index .Form "source"}}</textarea>
<p class="muted" id="hint-source">Checked as you type. An expression such as Join(" ", [givenName], [surname]); see the source attributes below.</p>
{{template "sourcecheck" $d.Check}}</div>
{{template "field" (hint "Used on create when the source is empty. Optional." (auto "off" (field . "default" "Default value if null" "text")))}}
{{template "field" (hint "A SCIM attribute path, such as title or emails[type eq \"work\"].value" (required (auto "off" (field . "target" "Target attribute" "text"))))}}
{{template "field" (hint "Makes this a matching attribute: 1 is tried first. Empty: not used for matching." (auto "off" (field . "matchPrecedence" "Matching precedence" "number")))}}
<div class="field"><label for="f-apply">Apply this mapping</label>
<select id="f-apply" name="apply"{{with index .Errors "apply"}} aria-invalid="true" aria-describedby="err-apply"{{end}}>
{{range $d.Applies}}<option value="{{.Value}}"{{if eq .Value (index $.Form "apply")}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{with index .Errors "apply"}}<p class="field-error" id="err-apply">{{.}}</p>{{end}}</div>
<button type="submit">{{if $d.Editing}}Save mapping{{else}}Add mapping{{end}}</button>{{if $d.Editing}} <a href="{{$base}}/mappings">Cancel</a>{{end}}
</form>
<details><summary>Source attributes</summary>
<p><strong>Users:</strong> {{range $i, $a := $d.UserAttrs}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}</p>
<p><strong>Groups:</strong> {{range $i, $a := $d.GroupAttr}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}</p></details>
</section>
<section class="card" aria-labelledby="h-reset"><h2 id="h-reset">Restore default mappings</h2>
<p class="muted">Replaces the mappings of users or groups with the defaults of the AWS IAM Identity Center app, the mappings a new job starts with.</p>
<form class="inline" method="post" action="{{$base}}/mappings/reset">{{template "csrf" .}}<input type="hidden" name="kind" value="user"><button type="submit" class="danger">Restore user mappings</button></form>
<form class="inline" method="post" action="{{$base}}/mappings/reset">{{template "csrf" .}}<input type="hidden" name="kind" value="group"><button type="submit" class="danger">Restore group mappings</button></form>
</section>{{end}}
{{end}}

{{define "sourcecheck"}}<div id="check-source" aria-live="polite">{{with .}}{{if .OK}}<p class="muted">{{.Msg}}</p>
{{else}}<p class="field-error" id="err-source">{{.Msg}}</p>{{if .Marked}}<p><code>{{.Before}}<mark>{{if .At}}{{.At}}{{else}}(end){{end}}</mark>{{.After}}</code></p>{{end}}{{end}}{{end}}</div>{{end}}`,
}
