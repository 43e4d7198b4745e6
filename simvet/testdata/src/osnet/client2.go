package osnet

import (
	"net/http"

	"github.com/moonpool-go/moonpool/providers"
)

type caller struct{ p *providers.Providers }

// Providers held by pointer are passed by value.
func (c *caller) client() *http.Client {
	return new(http.Client) // want `an http.Client without a Transport`
}

// A client with fields of its own is left to a person.
func (c *caller) jarred(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar} // want `an http.Client without a Transport`
}
