package httpretry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Client deposits into a [Ledger] over HTTP, retrying with exponential
// backoff and jitter when an attempt fails or times out.
type Client struct {
	// Base is the ledger's URL, such as "http://ledger-0:8080".
	Base string
	// Timeout bounds each attempt; zero means 300 ms.
	Timeout time.Duration
	// Retries is how many times a deposit is sent again; zero means 6.
	Retries int

	http *retryablehttp.Client
}

func (c *Client) client() *retryablehttp.Client {
	if c.http == nil {
		h := retryablehttp.NewClient()
		h.Logger = nil
		h.HTTPClient.Timeout = c.Timeout
		if h.HTTPClient.Timeout == 0 {
			h.HTTPClient.Timeout = 300 * time.Millisecond
		}
		h.RetryMax = c.Retries
		if h.RetryMax == 0 {
			h.RetryMax = 6
		}
		h.RetryWaitMin = 20 * time.Millisecond
		h.RetryWaitMax = time.Second
		h.Backoff = retryablehttp.LinearJitterBackoff
		c.http = h
	}
	return c.http
}

// NewKey returns a fresh idempotency key.
func NewKey() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Deposit deposits amount into account under the idempotency key key (one
// key per deposit, the same for all its attempts) and returns the
// account's balance after it. If Deposit returns an error, the deposit may
// or may not have been applied; calling it again with the same key applies
// it at most once.
func (c *Client) Deposit(ctx context.Context, key, account string, amount int) (Balance, error) {
	body, err := json.Marshal(Deposit{Account: account, Amount: amount})
	if err != nil {
		return Balance{}, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/deposits", bytes.NewReader(body))
	if err != nil {
		return Balance{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(KeyHeader, key)
	var b Balance
	return b, c.do(req, &b)
}

// Balance returns account's balance.
func (c *Client) Balance(ctx context.Context, account string) (Balance, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/balance?account="+url.QueryEscape(account), nil)
	if err != nil {
		return Balance{}, err
	}
	var b Balance
	return b, c.do(req, &b)
}

// Applied returns how many times the ledger applied each deposit it knows,
// by idempotency key.
func (c *Client) Applied(ctx context.Context) (map[string]int, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/applied", nil)
	if err != nil {
		return nil, err
	}
	var m map[string]int
	return m, c.do(req, &m)
}

func (c *Client) do(req *retryablehttp.Request, v any) error {
	resp, err := c.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(msg))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
