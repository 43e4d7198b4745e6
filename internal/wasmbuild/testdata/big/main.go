// Command big imports enough of the standard library to make a module of
// about ten megabytes; the cache tests time building it again.
package main

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"net/http/httptest"
	"text/template"
)

func main() {
	fmt.Println(tls.VersionTLS13, json.Valid(nil), xml.Header, http.StatusOK, httptest.DefaultRemoteAddr,
		template.HTMLEscapeString("<"), htmltemplate.HTMLEscapeString(">"))
}
