Feature: Deletion: cascades, the garbage collector and grace periods
  Deleting an owner deletes what it owns as the propagation policy says: Background (kubectl's
  default) removes the owner at once and the garbage collector its dependents after; Foreground
  keeps the owner, with the foregroundDeletion finalizer, until its dependents are gone; Orphan
  leaves the dependents, without their reference to it. A dependent that keeps an owner only loses
  its references to the owners that are gone. A second delete of a pod may shorten its grace period.

  Background:
    Given a cluster with nodes "node01" and "node02"
    And a replication controller "web" with 2 replicas

  Scenario: Orphan leaves the pods running without their owner
    When I delete the replication controller "web" with --cascade=orphan
    Then the replication controller "web" is gone
    And the 2 pods of "web" keep running without an owner

  Scenario: Foreground keeps the owner until its pods are gone
    When I delete the replication controller "web" with --cascade=foreground
    Then the replication controller "web" waits with the finalizer foregroundDeletion
    And the replication controller "web" is gone only after its pods

  Scenario: A pod loses its reference to an owner that does not exist and keeps the other
    Given a pod "extra" owned by the replication controller "web" and by one that does not exist
    Then the pod "extra" is owned only by the replication controller "web"

  Scenario: A second delete with a shorter grace period ends the pod sooner
    Given a pod "slow" Running on the node "node01"
    When I delete the pod "slow"
    And I delete the pod "slow" again with a grace period of 2 seconds
    Then the pod "slow" is gone within 10 seconds
