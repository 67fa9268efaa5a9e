"""The GitOps sync controller: the platform repo's branch keeps the cluster in sync.

source.py      the branch, fetched with the real git; each revision exported once
controller.py  the loop: newest commit wins, retries with backoff, drift every so often
status.py      the Platform object (CRD platforms.dockyard.dev): conditions, history; events
webhooks.py    push webhooks of GitHub, GitLab, Gitea/Forgejo and Bitbucket, verified
server.py      /hooks/<provider>, /healthz, /readyz, /metrics
metrics.py     Prometheus metrics
"""
