// Package flasharray is a small client for the Pure Storage FlashArray REST
// API 2.x, covering what DR protection needs: the array and its connections,
// volumes, protection groups with their volumes, targets and snapshot
// transfers, and pods (ActiveCluster).
//
// The layout follows gophercloud: client.go holds the session and transport,
// errors.go the error types, and each API area has its own file with the
// request functions and the result types of the wire format (the OpenAPI
// spec FA2.26 is the authority for paths, parameters and JSON shapes).
//
// Behaviour worth knowing:
//   - The REST version is negotiated from GET /api/api_version (highest 2.x up
//     to 2.26; arrays below 2.4 are refused) and the client logs in lazily on
//     the first call with the api-token header, keeping the x-auth-token the
//     array returns. A 401 makes it log in again, once, and repeat the call.
//     Concurrent calls share one login, and wait for it only until their
//     own context ends.
//   - 429 and 5xx answers and transport errors are retried with a bounded
//     exponential backoff (Retry-After is honoured); other 4xx are not.
//   - Neither the API token nor the session token ever appears in an error
//     or a log line.
//   - Adding a member that is already there, or allowing a target that is
//     already allowed, succeeds, as the Cinder Pure driver treats it.
package flasharray
