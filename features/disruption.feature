Feature: Evictions within a PodDisruptionBudget
  An eviction (POST pods/NAME/eviction, what kubectl drain sends) is a delete that respects the
  pod's PodDisruptionBudget. The disruption controller keeps each budget's status: how many of its
  pods are healthy, how many must stay so, and how many disruptions that allows. An eviction the
  budget allows marks the pod DisruptionTarget and deletes it; one it does not allow is refused
  with 429 TooManyRequests and changes nothing.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: An eviction within the budget deletes the pod, and its controller replaces it
    Given a replication controller "web" with 2 replicas
    When I create this PodDisruptionBudget:
      """
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata:
        name: web
      spec:
        minAvailable: 1
        selector:
          matchLabels:
            app: web
      """
    Then the PodDisruptionBudget "web" allows 1 disruption, with 2 of 2 expected pods healthy and 1 desired
    When I evict one pod of the replication controller "web"
    Then the evicted pod no longer exists
    And the replication controller "web" has 2 Running pods
    And the PodDisruptionBudget "web" allows 1 disruption, with 2 of 2 expected pods healthy and 1 desired
    When I delete the PodDisruptionBudget "web"
    Then the PodDisruptionBudget "web" no longer exists

  Scenario: An eviction the budget does not allow is refused with 429 TooManyRequests
    Given a replication controller "db" with 2 replicas
    When I create this PodDisruptionBudget:
      """
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata:
        name: db
      spec:
        maxUnavailable: 0
        selector:
          matchLabels:
            app: db
      """
    Then the PodDisruptionBudget "db" allows 0 disruptions, with 2 of 2 expected pods healthy and 2 desired
    When I try to evict one pod of the replication controller "db"
    Then the API server refuses it with 429 TooManyRequests: "Cannot evict pod as it would violate the pod's disruption budget."
    And the replication controller "db" has 2 Running pods
    When I delete the PodDisruptionBudget "db"
    Then the PodDisruptionBudget "db" no longer exists
