//go:build plan9

//simvet:allow scope no simulation runs on plan9
package scope
