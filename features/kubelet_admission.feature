Feature: Kubelet admission: a pod that does not fit its node is rejected, never run
  The kubelet admits a pod bound to its node only if the node has room for it, counting the pods
  it already runs, if the node matches the pod's nodeSelector and if the pod tolerates the node's
  NoExecute taints. A rejected pod is Failed at once with the reason of the check that failed, and
  a Warning event of that reason; no container of it ever starts.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @NN-01 @NN-03
  Scenario: A pod that names its node and asks for more CPU than any node has is OutOfcpu
    When I create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: greedy
      spec:
        nodeName: node01
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
          resources:
            requests:
              cpu: "100000"
      """
    Then the pod "greedy" is Failed with reason "OutOfcpu"
    And the pod "greedy" has a status message that starts with "Pod was rejected: Node didn't have enough resource: cpu, requested: 100000000, used: "
    And the pod "greedy" has a Warning event OutOfcpu from kubelet
    And no container of the pod "greedy" has started
    And the pod "greedy" has no "Scheduled" event
