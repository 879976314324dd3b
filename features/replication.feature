Feature: Replication: a controller keeps N replicas
  The replication controller counts the pods it owns and creates or deletes the difference: the
  tutorial's steps 5 and 6. Scaling runs the flow again for every new pod; a deleted pod is replaced.

  Background:
    Given a cluster with nodes "node01" and "node02"
    And a replication controller "web" with 2 replicas

  @RC-01 @LW-07
  Scenario: Scaling up creates pods that run the flow again
    When I scale the replication controller "web" to 4 replicas
    Then the replication controller "web" has 4 Running pods
    And the replication controller "web" went through the step RC-01
    And each pod of "web" went through the steps LW-07, LW-08, LW-09, LW-10, LW-11, LW-12, LW-13 in order

  @RC-01
  Scenario: Scaling down deletes pods
    When I scale the replication controller "web" to 1 replicas
    Then the replication controller "web" has 1 Running pod
    And the replication controller "web" has a Normal event SuccessfulDelete from replication-controller

  @RC-02 @LW-07
  Scenario: A deleted pod is replaced
    When I delete one pod of the replication controller "web"
    Then the replication controller "web" has 2 Running pods
    And the deleted pod is gone
    And the replication controller "web" went through the step RC-02

  Scenario: Deleting the replication controller deletes its pods
    When I delete the replication controller "web"
    Then the replication controller "web" is gone
    And each pod of "web" is being deleted
