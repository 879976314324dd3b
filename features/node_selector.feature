Feature: nodeSelector: the scheduler places a pod by node labels
  The nodeSelector is one of the scheduler's filters (NodeAffinity); the nodes that pass are
  scored and the best one gets the pod. When none passes, the pod stays Pending, unschedulable,
  until a node is labelled to match.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @LW-09 @LW-10
  Scenario: The pod is bound to the node whose label matches
    Given the node "node01" has the labels cz=alice
    And the node "node02" has the labels cz=bob
    When I create a pod "pod-example" with the nodeSelector cz=bob
    Then the pod "pod-example" is Running on the node "node02"
    And the pod "pod-example" has a Normal event Scheduled from default-scheduler: "Successfully assigned default/pod-example to node02"
    And the explanation for the pod "pod-example" shows node01 rejected by NodeAffinity: "node(s) didn't match Pod's node affinity/selector"
    And the explanation for the pod "pod-example" chooses node02

  @US-01
  Scenario: No node matches: the pod stays Pending with Kubernetes' message
    When I create a pod "web" with the nodeSelector cz=carol
    Then the pod "web" is Pending and unschedulable
    And the pod "web" has a Warning event FailedScheduling from default-scheduler: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."

  @US-01
  Scenario: An unschedulable pod is tried again after 5 minutes even when nothing changes
    When I create a pod "web" with the nodeSelector disktype=nvme
    Then the pod "web" is Pending and unschedulable
    And the scheduler has tried to place the pod "web" 1 time
    When 4 minutes pass
    Then the scheduler has tried to place the pod "web" 1 time
    When 1 more minute passes
    Then the scheduler has tried to place the pod "web" 2 times
    And the pod "web" is Pending and unschedulable

  @US-01 @US-02 @LW-09 @LW-10
  Scenario: Labelling a node afterwards gets the pod scheduled
    When I create a pod "web" with the nodeSelector cz=carol
    Then the pod "web" is Pending and unschedulable
    When I run "kubectl label nodes node02 cz=carol"
    Then the pod "web" is Running on the node "node02"
    And the pod "web" went through the steps LW-09, US-01, US-02, LW-09, LW-10 in order

  @LW-09 @US-01
  Scenario Outline: The node labels and the selector decide where the pod goes
    Given the node "node01" has the labels <node01>
    And the node "node02" has the labels <node02>
    When I run "kubectl label nodes node01 <relabel> --overwrite" unless it is "-"
    And I create a pod "web" with the nodeSelector <selector>
    Then the pod "web" is placed on <placed>

    Examples:
      | node01            | node02          | relabel | selector          | placed          |
      | cz=alice          | cz=bob          | -       | cz=bob            | node02          |
      | cz=alice          | cz=bob          | -       | cz=alice          | node01          |
      | cz=alice,disk=ssd | cz=bob,disk=ssd | -       | cz=alice,disk=ssd | node01          |
      | cz=bob,disk=hdd   | cz=bob,disk=ssd | -       | cz=bob,disk=ssd   | node02          |
      | disk=ssd          | disk=hdd        | -       | cz=bob            | no node         |
      | -                 | -               | -       | cz=bob            | no node         |
      | cz=alice          | cz=carol        | cz=bob  | cz=bob            | node01          |
      | cz=bob            | cz=carol        | cz=dave | cz=bob            | no node         |
