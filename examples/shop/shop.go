package main

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/manhattan-analytics/manhattan/tracker"
)

// product is something the shop sells.
type product struct {
	ID    int
	Name  string
	Blurb string
	Price decimal.Decimal
}

var products = []product{
	{1, "Stilton", "A crumbly blue cheese from England.", decimal.RequireFromString("12.50")},
	{2, "Comté", "Nutty, aged for eighteen months in the Jura.", decimal.RequireFromString("18.00")},
	{3, "Manchego", "Sheep's milk cheese from La Mancha.", decimal.RequireFromString("9.75")},
}

// Split tests and goals of the shop.
const (
	testButton   = "checkout button colour"
	goalAddCart  = "add to cart"
	goalCheckout = "began checkout"
	goalPurchase = "purchase"
)

// shop holds the carts, by visitor id.
type shop struct {
	mu    sync.Mutex
	carts map[string][]int // product ids
}

func newShop() *shop { return &shop{carts: map[string][]int{}} }

func (s *shop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /product/{id}", s.product)
	mux.HandleFunc("POST /cart", s.addToCart)
	mux.HandleFunc("GET /checkout", s.checkout)
	mux.HandleFunc("POST /checkout", s.purchase)
	return mux
}

func (s *shop) home(w http.ResponseWriter, r *http.Request) {
	render(w, "home", map[string]any{"Products": products})
}

func (s *shop) product(w http.ResponseWriter, r *http.Request) {
	p, ok := findProduct(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	render(w, "product", p)
}

func (s *shop) addToCart(w http.ResponseWriter, r *http.Request) {
	p, ok := findProduct(r.FormValue("id"))
	if !ok {
		http.Error(w, "no such product", http.StatusBadRequest)
		return
	}
	v := tracker.FromContext(r.Context())
	s.mu.Lock()
	s.carts[v.ID()] = append(s.carts[v.ID()], p.ID)
	s.mu.Unlock()
	v.Goal(goalAddCart)
	http.Redirect(w, r, "/checkout", http.StatusSeeOther)
}

// cart returns the visitor's cart and its total.
func (s *shop) cart(vid string) ([]product, decimal.Decimal) {
	s.mu.Lock()
	ids := slices.Clone(s.carts[vid])
	s.mu.Unlock()
	var items []product
	total := decimal.Zero
	for _, id := range ids {
		p, _ := findProduct(strconv.Itoa(id))
		items = append(items, p)
		total = total.Add(p.Price)
	}
	return items, total
}

func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	v := tracker.FromContext(r.Context())
	items, total := s.cart(v.ID())
	// The split test: which colour of the button sells more? Each visitor always sees
	// the same colour; the impression is recorded where the button is shown, before the
	// goal of this page, since a population collects only the conversions that follow its
	// impression.
	colour := v.Split(testButton, "green", "orange")
	if len(items) > 0 {
		v.Goal(goalCheckout)
	}
	render(w, "checkout", map[string]any{"Items": items, "Total": total, "Colour": colour})
}

func (s *shop) purchase(w http.ResponseWriter, r *http.Request) {
	v := tracker.FromContext(r.Context())
	items, total := s.cart(v.ID())
	if len(items) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.mu.Lock()
	delete(s.carts, v.ID())
	s.mu.Unlock()
	// Revenue: a sum, shown as currency.
	v.Goal(goalPurchase, tracker.WithValue(total, tracker.Sum, tracker.Currency))
	render(w, "thanks", map[string]any{"Total": total})
}

func findProduct(id string) (product, bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return product{}, false
	}
	for _, p := range products {
		if p.ID == n {
			return p, true
		}
	}
	return product{}, false
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// The pages. The middleware adds the tracking pixel before </body>.
var pages = template.Must(template.New("").Parse(`
{{define "top"}}<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Cheese shop</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}
button{font-size:1.2em;padding:.4em 1em;border:0;border-radius:4px;color:#fff}</style>
</head><body><p><a href="/">Cheese shop</a> · <a href="/checkout">Cart</a></p>{{end}}
{{define "bottom"}}</body></html>
{{end}}
{{define "home"}}{{template "top"}}<h1>Our cheeses</h1><ul>
{{range .Products}}<li><a href="/product/{{.ID}}">{{.Name}}</a> — {{.Price.StringFixed 2}} €</li>
{{end}}</ul>{{template "bottom"}}{{end}}
{{define "product"}}{{template "top"}}<h1>{{.Name}}</h1><p>{{.Blurb}}</p><p>{{.Price.StringFixed 2}} €</p>
<form method="post" action="/cart"><input type="hidden" name="id" value="{{.ID}}"><button style="background:#555">Add to cart</button></form>
{{template "bottom"}}{{end}}
{{define "checkout"}}{{template "top"}}<h1>Your cart</h1>
{{if .Items}}<ul>{{range .Items}}<li>{{.Name}} — {{.Price.StringFixed 2}} €</li>{{end}}</ul>
<p>Total: {{.Total.StringFixed 2}} €</p>
<form method="post" action="/checkout"><button style="background:{{.Colour}}">Buy now</button></form>
{{else}}<p>Your cart is empty.</p>{{end}}{{template "bottom"}}{{end}}
{{define "thanks"}}{{template "top"}}<h1>Thank you!</h1><p>You paid {{.Total.StringFixed 2}} €.</p>{{template "bottom"}}{{end}}
`))
