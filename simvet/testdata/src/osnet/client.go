package osnet

import (
	"net/http"

	"github.com/moonpool-go/moonpool/providers"
)

// The fix makes the client simhttp's, imports simhttp, and drops net/http,
// whose last use it was.
func Fetch(p providers.Providers, url string) error {
	c := &http.Client{} // want `an http.Client without a Transport`
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
