"""The control-plane components (controller manager, scheduler, kubelet), each driven by the
spec."""
