package myaccess

// tmpl is the page's "content" for web's layout. Each group has its own
// activation form; a message sits next to the field it is about, keyed
// "<group id>:<field>" in the page's Errors and Form.
const tmpl = `{{define "content"}}{{$p := .}}{{$d := .Data}}
<section class="card" aria-labelledby="h-elig"><h2 id="h-elig">Groups you can activate</h2>
{{range $d.Eligible}}{{$g := .GroupID}}
<form method="post" action="/myaccess/activate" class="activation" novalidate aria-labelledby="h-{{$g}}">{{template "csrf" $p}}
<h3 id="h-{{$g}}">{{.Group}}</h3>
<p class="muted">Up to {{.MaxHours}} hours.{{if .Needs}} Needs {{range $i, $n := .Needs}}{{if $i}}, {{end}}{{$n}}{{end}}.{{end}}</p>
<input type="hidden" name="group" value="{{$g}}">
{{$he := index $p.Errors (print $g ":hours")}}{{$hv := index $p.Form (print $g ":hours")}}
<div class="field"><label for="f-{{$g}}-hours">Duration (hours)</label>
<select id="f-{{$g}}-hours" name="hours"{{if $he}} aria-invalid="true" aria-describedby="err-{{$g}}-hours"{{end}}>
{{range .Hours}}<option{{if eq (print .) $hv}} selected{{end}}>{{.}}</option>{{end}}</select>
{{if $he}}<p class="field-error" id="err-{{$g}}-hours">{{$he}}</p>{{end}}</div>
{{$je := index $p.Errors (print $g ":justification")}}
<div class="field"><label for="f-{{$g}}-justification">Justification{{if not .Just}} (optional){{end}}</label>
<input type="text" id="f-{{$g}}-justification" name="justification" maxlength="500" value="{{index $p.Form (print $g ":justification")}}"{{if .Just}} required{{end}}{{if $je}} aria-invalid="true" aria-describedby="err-{{$g}}-justification"{{end}}>
{{if $je}}<p class="field-error" id="err-{{$g}}-justification">{{$je}}</p>{{end}}</div>
{{if .Tkt}}{{$te := index $p.Errors (print $g ":ticket")}}
<div class="field"><label for="f-{{$g}}-ticket">Ticket number</label>
<input type="text" id="f-{{$g}}-ticket" name="ticket" maxlength="100" value="{{index $p.Form (print $g ":ticket")}}" required{{if $te}} aria-invalid="true" aria-describedby="err-{{$g}}-ticket"{{end}}>
{{if $te}}<p class="field-error" id="err-{{$g}}-ticket">{{$te}}</p>{{end}}</div>{{end}}
<button type="submit">{{if .Approval}}Request activation{{else}}Activate{{end}}</button>
</form>
{{else}}<p class="muted">You are not eligible for any group.</p>{{end}}
</section>
<section class="card" aria-labelledby="h-mine"><h2 id="h-mine">Your activations and requests</h2>
<div class="table-wrap"><table id="mine"><thead><tr><th scope="col">Group</th><th scope="col">Status</th><th scope="col">When</th><th scope="col">Justification</th><th scope="col">Action</th></tr></thead><tbody>
{{range $d.Mine}}<tr><td>{{.Group}}</td><td>{{.Status}}</td><td>{{.When}}</td><td>{{.Justification}}</td><td>
{{if .Active}}<form method="post" action="/myaccess/deactivate">{{template "csrf" $p}}<input type="hidden" name="request" value="{{.ID}}"><input type="hidden" name="group" value="{{.GroupID}}"><button type="submit" class="secondary" aria-label="Deactivate {{.Group}}">Deactivate</button></form>
{{else}}<form method="post" action="/myaccess/cancel">{{template "csrf" $p}}<input type="hidden" name="request" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Cancel the request for {{.Group}}">Cancel</button></form>{{end}}
</td></tr>
{{else}}<tr><td colspan="5">Nothing active or pending.</td></tr>{{end}}</tbody></table></div>
</section>
{{if $d.ToApprove}}<section class="card" aria-labelledby="h-appr"><h2 id="h-appr">Requests for you to approve</h2>
{{range $d.ToApprove}}<form method="post" class="approval" aria-labelledby="h-r-{{.ID}}">{{template "csrf" $p}}<input type="hidden" name="request" value="{{.ID}}">
<h3 id="h-r-{{.ID}}">{{.User}} asks for {{.Group}}</h3>
<p>For {{.Hours}} h{{if .Justification}} · “{{.Justification}}”{{end}}{{if .Ticket}} · ticket {{.Ticket}}{{end}} · {{.When}}</p>
<div class="field"><label for="f-r-{{.ID}}">Reason (optional)</label><input type="text" id="f-r-{{.ID}}" name="reason" maxlength="500"></div>
<button type="submit" formaction="/myaccess/approve">Approve</button>
<button type="submit" formaction="/myaccess/deny" class="danger">Deny</button>
</form>{{end}}
</section>{{end}}
{{if $d.Reviews}}<section class="card" id="reviews" aria-labelledby="h-rev"><h2 id="h-rev">Access reviews for you</h2>
<p class="muted">Does each person still need this access? Denied access is removed when the review ends.</p>
{{range $d.Reviews}}{{$i := .ID}}{{$re := index $p.Errors (print $i ":reason")}}{{$dv := index $p.Form (print $i ":decision")}}
<form method="post" action="/myaccess/review" class="review" novalidate aria-labelledby="h-i-{{$i}}">{{template "csrf" $p}}<input type="hidden" name="item" value="{{$i}}">
<h3 id="h-i-{{$i}}">{{.Subject}} · {{.Campaign}}</h3>
<p>Recommendation: <strong>{{.Recommendation}}</strong> · last sign-in {{.LastSignIn}} · decide by {{.Due}}{{if ne .Decision "NotReviewed"}} · your decision: <strong>{{.Decision}}</strong>{{end}}</p>
<fieldset class="checks"><legend>Decision</legend>
{{range $v, $l := $.Data.DecisionLabels}}<label><input type="radio" name="decision" value="{{$v}}"{{if eq $v $dv}} checked{{end}}> {{$l}}</label> {{end}}
</fieldset>
<div class="field"><label for="f-{{$i}}-reason">Reason (needed to deny)</label>
<input type="text" id="f-{{$i}}-reason" name="reason" maxlength="500" value="{{.Reason}}"{{if $re}} aria-invalid="true" aria-describedby="err-{{$i}}-reason"{{end}}>
{{if $re}}<p class="field-error" id="err-{{$i}}-reason">{{$re}}</p>{{end}}</div>
<button type="submit">Record decision</button>
</form>{{end}}
</section>{{end}}
{{end}}`
