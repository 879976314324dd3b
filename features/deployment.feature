Feature: Deployments: rolling out, stalling, rolling back, scaling
  Today the tutorial's step 6 is a Deployment's: the deployment controller keeps one ReplicaSet per
  pod template (named for its pod-template-hash) and moves the replicas from the old one to the new
  one, never more than replicas + maxSurge of them, never fewer than replicas - maxUnavailable
  available; the replicaset controller makes the pods.

  Background:
    Given a cluster with nodes "node01" and "node02"
    And a deployment "web" with 3 replicas

  Scenario: A Deployment runs its pods through a ReplicaSet named for their template
    Then the replica set of "web" is named for the pod template hash of its pods
    And the deployment "web" scaled up its replica set from 0 to 3
    And the deployment "web" is at revision 1

  Scenario: A new pod template is rolled out one pod at a time
    When I restart the rollout of the deployment "web"
    Then the deployment "web" has 3 updated and available replicas
    And the deployment "web" is at revision 2
    And the deployment "web" scaled up its replica set from 0 to 1
    And the old replica sets of "web" are scaled to 0

  Scenario: An image that cannot be pulled stalls the rollout, and rolling back ends it
    When I set the image of the deployment "web" to "nginx:0.0-no-such-tag"
    Then the rollout of "web" stalls with 1 new pod unable to pull its image and 3 old pods Running
    When I roll back the deployment "web"
    Then the deployment "web" has 3 updated and available replicas
    And the deployment "web" is at revision 3

  Scenario: Scaling a Deployment scales its ReplicaSet
    When I scale the deployment "web" to 5 replicas
    Then the deployment "web" has 5 updated and available replicas
    And the deployment "web" scaled up its replica set from 3 to 5

  Scenario: Deleting a Deployment deletes its ReplicaSets and their pods
    When I delete the deployment "web"
    Then the deployment "web", its replica sets and their pods are deleted

  Scenario: A paused Deployment rolls out nothing until it is resumed
    When I pause the deployment "web"
    And I restart the rollout of the deployment "web"
    Then the deployment "web" stays at revision 1 while it is paused
    When I resume the deployment "web"
    Then the deployment "web" is at revision 2
    And the deployment "web" has 3 updated and available replicas

  Scenario: A Recreate Deployment scales its old pods to 0 before it starts new ones
    When I set the strategy of the deployment "web" to Recreate
    And I restart the rollout of the deployment "web"
    Then the deployment "web" has 3 updated and available replicas
    And the old replica sets of "web" are scaled to 0
    And the deployment "web" scaled up its replica set from 0 to 3

  Scenario: A Deployment deleted in the foreground waits for its ReplicaSets
    When I delete the deployment "web" in the foreground
    Then the deployment "web", its replica sets and their pods are deleted
