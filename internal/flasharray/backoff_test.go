package flasharray

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffHonoursRetryAfter(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		status int
		header string
		want   time.Duration
	}{
		{"429 seconds", 429, "2", 2 * time.Second},
		{"503 seconds", 503, "3", 3 * time.Second},
		{"429 capped", 429, "3600", maxRetryAfter},
		{"429 http date", 429, now.Add(90 * time.Second).UTC().Format(http.TimeFormat), maxRetryAfter},
		{"429 zero", 429, "0", 0},
		{"429 garbage falls back to backoff", 429, "soon", 40 * time.Millisecond},
		{"500 ignores Retry-After", 500, "30", 40 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Retry-After": {tt.header}}}
			// attempt 2 of an exponential backoff from 10ms: 40ms.
			if got := backoff(10*time.Millisecond, time.Second, 2, resp); got != tt.want {
				t.Fatalf("backoff = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBackoffIsBounded(t *testing.T) {
	for attempt := range 30 {
		if got := backoff(10*time.Millisecond, 80*time.Millisecond, attempt, nil); got > 80*time.Millisecond || got < 10*time.Millisecond {
			t.Fatalf("attempt %d: backoff %s outside [10ms, 80ms]", attempt, got)
		}
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d, ok := retryAfter(now.Add(20*time.Second).Format(http.TimeFormat), now)
	if !ok || d != 20*time.Second {
		t.Fatalf("retryAfter = %s, %v; want 20s", d, ok)
	}
	if d, ok := retryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now); !ok || d != 0 {
		t.Fatalf("a date in the past = %s, %v; want 0", d, ok)
	}
}
