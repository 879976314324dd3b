Feature: List-Watch semantics: re-lists and 410 Gone
  A watch resumes from the last resourceVersion it saw; when that history has been compacted the
  API server answers 410 Gone and the client re-lists. Nothing is lost, nothing is done twice.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @LW-01 @LW-12
  Scenario: A kubelet that loses its watch re-lists and starts the pod once
    Given the kubelet of "node01" has lost its watch of pods
    When I create a pod "web" on the node node01
    And the API server compacts its history
    And the kubelet of "node01" reconnects
    Then the kubelet of "node01" listed pods again
    And the pod "web" is Running on the node "node01"
    And the pod "web" has exactly one "Started" event

  @LW-01
  Scenario: A watch from a compacted revision gets 410 Gone and recovers by re-listing
    Given a pod "web" Running on the node "node01"
    And I remember the resourceVersion of the pod list
    When I create a pod "other" on the node node02
    And the API server compacts its history
    Then a watch of pods from the remembered resourceVersion gets "410" "Expired"
    And a new list then watch sees the pods "other" and "web"

  @LW-01
  Scenario: The API server's watch cache re-lists from etcd when its watch resumes past a compaction
    Given a pod "old" Running on the node "node01"
    And I remember the resourceVersion of the pod list
    And the API server has lost its watch of pods on etcd
    When I create a pod "web" on the node node02
    Then the pod "web" has no "Started" event
    When the API server compacts its history
    And the API server watches pods on etcd again
    Then the API server listed pods from etcd again
    And the pod "web" is Running on the node "node02"
    And a watch of pods from the remembered resourceVersion gets "410" "Expired"
    And a new list then watch sees the pods "old" and "web"
