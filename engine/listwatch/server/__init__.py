"""The served API: the simulated cluster behind a Kubernetes-compatible HTTPS API on 127.0.0.1.

Scope: what kubectl v1.32 and the official clients use: /version, discovery, OpenAPI v3 (enough for
`kubectl create` to validate), get/list/watch/create/update/patch/delete of the resources the engine
serves (pods, nodes, events, namespaces, services, replicationcontrollers, replicasets), the status,
binding, log, exec and proxy subresources, label and field selectors on list and watch, server-side
Tables for
`kubectl get`, and Status objects for every error. Not in scope: authorization (one token, all
rights), server-side apply, protobuf, pagination (`limit` is ignored: every list is whole, which
the API allows), managedFields, admission webhooks, aggregated discovery.

Why the standard library's `http.server.ThreadingHTTPServer` with `ssl`, not an HTTP framework:
the engine is single-threaded on its own loop, so every request is a hand-off to that loop
(`live.LiveCluster.call`) however it arrives; a thread per connection then makes a watch stream a
plain blocking loop over a queue, keep-alive and chunked responses are a few lines, and the
package adds no server dependency. The benchmark (benchmarks/bench_served_api.py) measures what
this costs against stand-ins built on aiohttp.

Layout: `live` (the cluster on its loop thread), `tls` (CA, serving certificate, token,
kubeconfig), `routes` (URL -> resource, namespace, name, subresource, verb), `discovery`,
`tables` (server-side printing), `watchstream` (watches across threads), `handlers` (requests to
API calls), `control` (/listwatch/v1: the out-of-band control API for test harnesses: open
watches, cutting them, compaction, stopping a kubelet), `app` (the HTTPS listener, `Server`),
`command` (`listwatch serve`).
"""

from __future__ import annotations

from listwatch.server.app import Server
from listwatch.server.command import add_arguments, command

__all__ = ["Server", "add_arguments", "command"]
