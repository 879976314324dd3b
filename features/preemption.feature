Feature: Priority and preemption: a pod that fits nowhere takes the place of pods of lower priority
  A PriorityClass gives the pods that name it their priority: the API server's Priority admission
  writes its value into the pod's spec.priority (a class that does not exist is refused). When no
  node has room for a pod, the scheduler looks for a node where evicting pods of lower priority
  would make room (DefaultPreemption): it marks each of those victims DisruptionTarget, deletes it
  with a Preempted event, nominates the pod to that node, and binds it there once they are gone.
  Of several such nodes it takes the one whose most important victim has the lowest priority.
  Each node has 4 CPUs; the pods here ask for 3.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: A high-priority pod preempts the lowest-priority pod that makes room, and runs there
    When I create this PriorityClass:
      """
      apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      metadata:
        name: lw-preempt-high
      value: 1000
      description: a pod that may preempt others
      """
    And I create this PriorityClass:
      """
      apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      metadata:
        name: lw-preempt-medium
      value: 500
      """
    And I create a pod "low" asking for 3 CPUs on the node node01
    And I create a pod "medium" asking for 3 CPUs on the node node02 with the PriorityClass "lw-preempt-medium"
    Then the pod "low" is Running on the node "node01"
    And the pod "medium" is Running on the node "node02"
    And the pod "medium" has the priority 500
    When I create a pod "urgent" asking for 3 CPUs with the PriorityClass "lw-preempt-high"
    Then the pod "urgent" has the priority 1000
    And the pod "urgent" is Running on the node "node01"
    And the pod "urgent" has a Warning event FailedScheduling from default-scheduler: "0/2 nodes are available: 2 Insufficient cpu."
    And the pod "low" was preempted by the pod "urgent" on the node "node01"
    And the pod "medium" is Running on the node "node02"

  Scenario: A pod whose PriorityClass says preemptionPolicy Never waits instead of preempting
    When I create this PriorityClass:
      """
      apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      metadata:
        name: lw-preempt-never
      value: 1000
      preemptionPolicy: Never
      """
    And I create a pod "low" asking for 3 CPUs on the node node01
    And I create a pod "low-too" asking for 3 CPUs on the node node02
    And I create a pod "patient" asking for 3 CPUs with the PriorityClass "lw-preempt-never"
    Then the pod "patient" is Pending and unschedulable
    And the pod "patient" has a Warning event FailedScheduling from default-scheduler: "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    And the pod "low" is Running on the node "node01"
    And the pod "low-too" is Running on the node "node02"

  Scenario: A pod that names a PriorityClass that does not exist is refused with 403 Forbidden
    When I try to create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: orphan
      spec:
        priorityClassName: lw-no-such-class
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the API server refuses it with 403 Forbidden: "pods "orphan" is forbidden: no PriorityClass with name lw-no-such-class was found"
    And there are no pods

  Scenario: A pod that sets its own priority is refused with 403 Forbidden
    When I try to create this pod:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: cheater
      spec:
        priority: 1000000
        containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
      """
    Then the API server refuses it with 403 Forbidden: "pods "cheater" is forbidden: the integer value of priority (1000000) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name"
    And there are no pods
