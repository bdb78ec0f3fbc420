package api

import (
	"html/template"
	"net/http"
	"strings"
)

// htmlIndex is the page at "/" when the server has no dashboard: the endpoints of the
// index at Prefix, as HTML.
func (s *Server) htmlIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexPage.Execute(w, s.index())
}

// indexPage renders an Index. Links are relative, so the page works behind a path
// prefix; a path with a {placeholder} is not a link.
var indexPage = template.Must(template.New("index").Funcs(template.FuncMap{
	"rel":      func(p string) string { return strings.TrimPrefix(p, "/") },
	"linkable": func(p string) bool { return !strings.Contains(p, "{") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Manhattan</title></head>
<body>
<h1>Manhattan</h1>
<p>JSON API, version 1 (parameters in the query string, decimal values as strings;
<a href="{{rel .API}}">{{.API}}</a> lists these endpoints as JSON):</p>
<ul>
{{range .Endpoints}}<li>{{if linkable .Path}}<a href="{{rel .Path}}">{{.Path}}</a>{{else}}{{.Path}}{{end}} ({{range $i, $m := .Methods}}{{if $i}}, {{end}}{{$m}}{{end}}) — {{.Description}}{{with .Example}}, e.g. <code>{{.}}</code>{{end}}</li>
{{end}}<li><a href="metrics">/metrics</a> (Prometheus), <a href="healthz">/healthz</a></li>
</ul>
</body></html>
`))
