# Retries and timeouts of every HTTP request to the clouds and the arrays:
# a 429, a 5xx or a transport error is retried with backoff (Retry-After is
# honoured) up to max_retries times; one attempt may take request_timeout.
# A check that a site answers (before any change, and the refresh's reads of
# the peer) has its own, shorter bound: reachability_timeout.
provider "protector" {
  max_retries          = 8     # default 5; 0 turns retries off
  request_timeout      = "90s" # default 1m0s, a Go duration
  reachability_timeout = "20s" # default 10s
}
