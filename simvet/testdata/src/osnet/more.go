package osnet

import (
	"context"
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
)

func Identity() {
	_ = os.Getpid()         // want `os.Getpid reads a real process id, which differs from run to run.*p.Cluster.Self\(\)`
	_, _ = os.Hostname()    // want `os.Hostname reads the real machine's name`
	_, _ = net.Interfaces() // want `net.Interfaces uses the real network; use the process's own address, p.Cluster.Self\(\).Host`
	_ = os.Getenv("HOME")   // configuration, the same on every run: fine
}

func HTTP(l net.Listener, h http.Handler, rt http.RoundTripper) {
	_ = &http.Client{}               // want `an http.Client without a Transport uses the real network, through the default transport.*simhttp.NewClient\(p\)`
	_ = new(http.Client)             // want `an http.Client without a Transport`
	_ = &http.Client{Transport: nil} // want `an http.Client without a Transport`
	_ = &http.Client{Transport: rt}  // a transport of one's own: fine
	_ = &http.Transport{}            // want `an http.Transport dials, reads and writes on goroutines of its own.*simhttp.NewClient\(p\)`
	_ = http.Serve(l, h)             // want `http.Serve serves each connection on a goroutine of its own.*simhttp.Server`
	s := &http.Server{Handler: h}
	_ = s.Serve(l)               // want `http.Server.Serve serves each connection on a goroutine of its own`
	srv := httptest.NewServer(h) // want `httptest.NewServer listens on the real network.*simhttp.Server`
	srv.Close()
	_ = httptest.NewRecorder() // no network: fine
}

func TLS(ctx context.Context) {
	_, _ = tls.Dial("tcp", "a:443", nil)  // want `tls.Dial uses the real network`
	_, _ = tls.Listen("tcp", ":443", nil) // want `tls.Listen uses the real network`
	var d tls.Dialer
	_, _ = d.DialContext(ctx, "tcp", "a:443") // want `tls.Dialer.DialContext uses the real network`
}

func Fatal(err error, lg *log.Logger) {
	log.Fatal(err)        // want `log.Fatal calls os.Exit, which ends the whole test binary.*return an error`
	log.Fatalf("%v", err) // want `log.Fatalf calls os.Exit`
	lg.Fatalln(err)       // want `log.Logger.Fatalln calls os.Exit`
	log.Print(err)        // fine
}
