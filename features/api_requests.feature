Feature: The API server refuses what it cannot store
  Every write goes through admission, validation, then etcd under its preconditions (the name is
  free, the resourceVersion is current). A request that fails one is answered with a Kubernetes
  Status, and nothing is written.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: An invalid pod is refused with 422 Invalid and not stored
    When I try to create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: nameless
      spec:
        containers:
        - image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the API server refuses it with 422 Invalid: "Pod "nameless" is invalid: spec.containers[0].name: Required value"
    And there are no pods

  Scenario: A change to a pod as it was before another change is refused with 409 Conflict
    Given a pod "web" Running on the node "node01"
    And I remember the resourceVersion of the pod "web"
    When I label the pod "web" tier=frontend
    And I try to label the pod "web" tier=backend at the remembered resourceVersion
    Then the API server refuses it with 409 Conflict: "Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again"
    And the pod "web" has the labels tier=frontend
