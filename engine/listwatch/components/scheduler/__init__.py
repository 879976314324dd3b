"""kube-scheduler: the queue and its machine, the node cache, the plugins, the placement
algorithm."""

from listwatch.components.scheduler.plugins import FILTERS, SCORES
from listwatch.components.scheduler.scheduler import Scheduler

__all__ = ["FILTERS", "SCORES", "Scheduler"]
