Feature: List-Watch: how a pod is created
  The controller manager, the scheduler and every kubelet keep their own List-Watch on the API
  server. A pod created with kubectl is stored in etcd, passed on to the controller manager, bound
  by the scheduler, and started by the kubelet of its node: the tutorial's thirteen steps.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @LW-01
  Scenario: The components watch the API server before any pod exists
    Then the controller manager, the scheduler and each kubelet are watching the API server
    And there are no pods

  @LW-02 @LW-03 @LW-04 @LW-05 @LW-06 @LW-07 @LW-08 @LW-09 @LW-10 @LW-11 @LW-12 @LW-13
  Scenario: A pod created with kubectl goes through the thirteen steps in order
    Given the node "node02" has the labels cz=bob
    When I create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: pod-example
        labels:
          app: nginx
      spec:
        nodeSelector:
          cz: bob
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the pod "pod-example" is Running on the node "node02"
    And the pod "pod-example" went through the steps LW-02, LW-03, LW-04, LW-05, LW-06, LW-07, LW-08, LW-09, LW-10, LW-11, LW-12, LW-13 in order

  @LW-05 @LW-06 @LW-07
  Scenario: A pod owned by a ReplicationController is created by the controller manager
    When I create this replication controller:
      """
      apiVersion: v1
      kind: ReplicationController
      metadata:
        name: web
      spec:
        replicas: 1
        selector:
          app: web
        template:
          metadata:
            labels:
              app: web
          spec:
            containers:
            - name: web
              image: busybox:1.36
              command: ["sleep", "3600"]
      """
    Then the replication controller "web" went through the steps LW-02, LW-03, LW-04, LW-05, LW-06 in order
    And the replication controller "web" has 1 Running pod
    And each pod of "web" went through the steps LW-07, LW-08, LW-09, LW-10, LW-11, LW-12, LW-13 in order
    And the replication controller "web" has a Normal event SuccessfulCreate from replication-controller
