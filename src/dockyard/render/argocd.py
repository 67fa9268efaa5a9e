"""Argo CD as the syncer: Dockyard renders, Argo CD applies.

- `plugin()` is a Config Management Plugin (the sidecar's `plugin.yaml`, Argo CD's CMP v2
  contract): Argo CD finds a platform repo by its `platform.yaml` and runs
  `dockyard render . --cluster "$ARGOCD_ENV_CLUSTER" --stage "$ARGOCD_ENV_STAGE"` in it (the
  CMP server runs `command` with `args`; an Application's plugin env reaches it with the
  `ARGOCD_ENV_` prefix). Its name is `dockyard-<version>`, as Argo CD names a versioned plugin.
- `applications()` is one Application per stage that has objects, each rendering that stage
  through the plugin, with `argocd.argoproj.io/sync-wave` in Dockyard's stage order, so that an
  app of apps syncs CRDs before the platform, the platform before the teams.
"""

from __future__ import annotations

from typing import Any

from dockyard import __version__
from dockyard.render.bundle import STAGES, Bundle, Stage

PLUGIN = "dockyard"


def plugin_name(version: str = __version__) -> str:
    return f"{PLUGIN}-v{version}"


def plugin(version: str = __version__) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": PLUGIN},
        "spec": {
            "version": f"v{version}",
            "discover": {"fileName": "./platform.yaml"},
            "generate": {
                "command": ["sh", "-c"],
                "args": ['exec dockyard render . --cluster "$ARGOCD_ENV_CLUSTER" --stage "$ARGOCD_ENV_STAGE"'],
            },
        },
    }


def of_stage(bundle: Bundle, stage: Stage) -> Bundle:
    """The objects of one stage (lifecycle tasks are Dockyard's own: Argo CD does not run them)."""
    return Bundle.of([r for r in bundle.objects if r.stage == stage], (), bundle.warnings)


def applications(
    bundle: Bundle,
    platform: str,
    cluster: str,
    repo_url: str,
    revision: str = "HEAD",
    path: str = ".",
    namespace: str = "argocd",
    project: str = "default",
) -> list[dict[str, Any]]:
    present = {r.stage for r in bundle.objects}
    found = []
    for wave, stage in enumerate(STAGES):
        if stage not in present:
            continue
        found.append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "name": f"{platform}-{cluster}-{stage}",
                    "namespace": namespace,
                    "labels": {"app.kubernetes.io/part-of": platform, "dockyard.dev/stage": str(stage)},
                    "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
                },
                "spec": {
                    "project": project,
                    "source": {
                        "repoURL": repo_url,
                        "targetRevision": revision,
                        "path": path,
                        "plugin": {
                            "name": plugin_name(),
                            "env": [{"name": "CLUSTER", "value": cluster}, {"name": "STAGE", "value": str(stage)}],
                        },
                    },
                    "destination": {"server": "https://kubernetes.default.svc"},
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "syncOptions": ["ServerSideApply=true"],
                    },
                },
            }
        )
    return found
