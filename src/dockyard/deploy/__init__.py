"""Deploy: plan against live state, apply by stage with health waits, prune what the inventory says."""
