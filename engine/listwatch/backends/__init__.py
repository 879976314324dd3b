"""Where the kubelet's effects land: a simulated runtime (memory), a Docker Engine, or a real cluster."""
