"""The served API: the simulated cluster behind a Kubernetes-compatible HTTPS API on 127.0.0.1.

Scope: what kubectl v1.32 and the official clients use: /version, discovery, OpenAPI v3 (enough for
`kubectl create` to validate), get/list/watch/create/update/patch/delete of the resources the engine
serves (pods, nodes, events, namespaces, services, replicationcontrollers, replicasets), the status,
binding, log, exec and proxy subresources, label and field selectors on list and watch, server-side
Tables for `kubectl get`, Status objects for every error, and protobuf bodies and answers for the
built-in kinds (`protobuf`), managedFields and server-side apply (`apiserver.managedfields`). Not
in scope: authorization (one token, all rights), admission webhooks, aggregated discovery.

Why hypercorn (asyncio; HTTP/1.1, HTTP/2 and WebSocket): a served cluster holds a long-lived
watch per informer of every program it hosts, thousands of them, and kubectl and client-go speak
HTTP/2. One event loop serves every connection; the engine stays single-threaded on its own loop
(`live.LiveCluster.call`), and the handlers, which wait for it, run on worker threads. A watch
event is encoded once for all its watchers, and a watcher that stops reading is closed without
holding up the others (`watchstream`). benchmarks/load_watchers.py measures 1,000 watchers.

Layout: `live` (the cluster on its loop thread), `tls` (CA, serving certificate, token,
kubeconfig), `routes` (URL -> resource, namespace, name, subresource, verb), `discovery`,
`tables` (server-side printing), `protobuf` (the protobuf codec), `watchstream` (watches from the
loop thread to the event loop), `handlers` (requests to API calls), `control` (/listwatch/v1: the
out-of-band control API for test harnesses: open watches, cutting them, compaction, stopping a
kubelet), `asgi` (HTTP messages to handlers and back), `websocket` (exec's WebSocket, for its
thread), `app` (the HTTPS listener, `Server`), `command` (`listwatch serve`).
"""

from __future__ import annotations

from listwatch.server.app import Server
from listwatch.server.command import add_arguments, command

__all__ = ["Server", "add_arguments", "command"]
