// Package simhttp is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package simhttp

import (
	"net/http"

	"github.com/moonpool-go/moonpool/providers"
)

func NewClient(p providers.Providers) *http.Client { return &http.Client{} }
