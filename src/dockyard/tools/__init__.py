"""The tools Dockyard builds from their Go modules and runs: Kubernetes' own binaries, etcd and
KWOK for the local control plane, and helm, which renders charts. Built once into the cache
(dockyard/locations.py), verified by digest, shared by every checkout."""
