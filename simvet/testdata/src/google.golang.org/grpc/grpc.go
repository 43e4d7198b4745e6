// Package grpc stands in for google.golang.org/grpc in simvet's tests:
// the names the osnet rule looks for, and nothing else.
package grpc

import (
	"context"
	"net"
)

type ServerOption interface{}

type DialOption interface{}

type Server struct{}

func NewServer(opts ...ServerOption) *Server { return &Server{} }

func (s *Server) Serve(lis net.Listener) error { return nil }

func (s *Server) Stop() {}

type ClientConn struct{}

func NewClient(target string, opts ...DialOption) (*ClientConn, error) { return &ClientConn{}, nil }

func Dial(target string, opts ...DialOption) (*ClientConn, error) { return &ClientConn{}, nil }

func DialContext(ctx context.Context, target string, opts ...DialOption) (*ClientConn, error) {
	return &ClientConn{}, nil
}

func (cc *ClientConn) Close() error { return nil }
