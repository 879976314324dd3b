Feature: nodeName: a pod that names its node skips the scheduler
  A pod with spec.nodeName is not the scheduler's: no binding, no Scheduled event. The kubelet of
  that node takes it directly, and admits it only if the node satisfies the pod's nodeSelector.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @NN-01 @NN-02 @LW-12 @LW-13
  Scenario: The pod runs on the node it names, with no Scheduled event
    When I create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: pod-example
        labels:
          app: nginx
      spec:
        nodeName: node01
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the pod "pod-example" is Running on the node "node01"
    And the pod "pod-example" has no "Scheduled" event
    And the pod "pod-example" has the events Pulled, Created, Started from kubelet, in that order
    And the pod "pod-example" went through the steps NN-01, NN-02, LW-12, LW-13 in order

  @NN-01 @NN-03
  Scenario: The kubelet rejects a pod whose node fails its nodeSelector
    Given the node "node01" has the labels cz=alice
    When I create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: misplaced
      spec:
        nodeName: node01
        nodeSelector:
          cz: bob
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the pod "misplaced" is Failed with reason "NodeAffinity"
    And the pod "misplaced" has the status message "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
    And the pod "misplaced" has a Warning event NodeAffinity from kubelet
    And the pod "misplaced" has no "Scheduled" event

  @NN-01 @NN-03
  Scenario: A pod deleted before its kubelet could admit it is rejected, then removed
    When I create a pod "misplaced" on the node node01 with the nodeSelector cz=bob
    And I delete the pod "misplaced"
    Then the pod "misplaced" no longer exists
    And the deleted pod had a Warning event NodeAffinity from kubelet
