Feature: Troubleshooting: why a pod is not working, and how to fix it
  The tutorial's section 4 as a decision tree (spec/troubleshooting.yaml): from the pod's phase,
  conditions, container states and events to a finding, its evidence and a fix. Each scenario
  brings a pod to one branch, diagnoses it, applies the proposed fix and checks the pod is healthy.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @TS-20
  Scenario: Pending because no node matches the nodeSelector
    When I create a pod "web" with the nodeSelector cz=carol
    Then the diagnosis of the pod "web" is TS-20 with the evidence "the pod's nodeSelector wants: cz=carol"
    And the proposed fix is "kubectl label nodes node01 cz=carol"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-21
  Scenario: Pending because the node it names does not exist
    When I create a pod "web" on the node node09
    Then the diagnosis of the pod "web" is TS-21 with the evidence "the pod names the node 'node09'"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-22
  Scenario: Pending because the image cannot be pulled
    When I create a pod "web" with the image "busybox:9.99"
    Then the diagnosis of the pod "web" is TS-22 with the evidence "ErrImagePull"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-31
  Scenario: Failed with a non-zero exit, its last log lines shown
    When I create a pod "job" running "echo started; exit 3" with restartPolicy Never
    Then the diagnosis of the pod "job" is TS-31 with the evidence "| started"
    And the diagnosis of the pod "job" has the evidence "exit code 3"
    When I apply the proposed fix
    Then the diagnosis of the pod "job" is healthy

  @TS-41
  Scenario: CrashLoopBackOff: exit code, restarts and back-off
    When I create a pod "crash" running "echo starting; exit 1; sleep 3600" with restartPolicy Always
    Then the diagnosis of the pod "crash" is TS-41 with the evidence "CrashLoopBackOff"
    And the diagnosis of the pod "crash" has the evidence "last exit code 1"
    When I apply the proposed fix
    Then the diagnosis of the pod "crash" is healthy

  @TS-30
  Scenario: Rejected by the kubelet: the named node does not satisfy the nodeSelector
    Given the node "node01" has the labels cz=alice
    When I create a pod "misplaced" on the node node01 with the nodeSelector cz=bob
    Then the diagnosis of the pod "misplaced" is TS-30 with the evidence "reason NodeAffinity"
    When I apply the proposed fix
    Then the diagnosis of the pod "misplaced" is healthy

  @TS-43
  Scenario: Running but not Ready: the readiness probe fails
    When I create a pod "web" serving on port 80 with a readiness probe on port 8080
    Then the diagnosis of the pod "web" is TS-43 with the evidence "Readiness probe failed"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-45
  Scenario: Running and Ready but not answering on its declared port
    When I create a pod "web" serving on port 80 and declaring containerPort 8080
    Then the diagnosis of the pod "web" is TS-45 with the evidence "declares containerPort 8080"
    And the diagnosis of the pod "web" has the evidence "listening: 80"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-47
  Scenario: Answering from its node, but the Service maps to the wrong port
    When I create a pod "web" serving on port 80 and declaring containerPort 80
    And I create a Service "web" for the pod "web" with port 80 and targetPort 8080
    Then the diagnosis of the pod "web" is TS-47 with the evidence "targetPort 8080"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy

  @TS-80
  Scenario: Unknown: the pod's node stopped reporting
    Given a pod "web" Running on the node "node01"
    When the kubelet of "node01" stops
    Then the diagnosis of the pod "web" is TS-80 with the evidence "NodeStatusUnknown"
    And 10 seconds later the node "node01" is still Unknown
    And the proposed fix is "systemctl restart kubelet   # on node01; then: kubectl get node node01"
    When I apply the proposed fix
    Then the diagnosis of the pod "web" is healthy
    And the node "node01" is Ready again, no longer tainted unreachable

  @TS-23
  Scenario: A pod just created is starting, not broken
    When I create a pod "web" with the nodeSelector -
    Then the diagnosis of the pod "web" is healthy, as TS-23
    And the diagnosis of the pod "web" is healthy

  @TS-24
  Scenario: Pending because no node has the resources it requests
    When I create a pod "big" requesting 64 CPUs
    Then the diagnosis of the pod "big" is TS-24 with the evidence "Insufficient cpu"
    When I apply the proposed fix
    Then the diagnosis of the pod "big" is healthy

  @TS-32
  Scenario: A pod that ran to completion is healthy
    When I create a pod "job" running "echo done; exit 0" with restartPolicy Never
    Then the pod "job" is Succeeded
    And the diagnosis of the pod "job" is healthy, as TS-32

  @TS-50
  Scenario: A healthy pod is reported healthy
    Given a pod "web" Running on the node "node02"
    Then the diagnosis of the pod "web" is healthy

  @TS-90
  Scenario: A pod that does not exist is said not to exist
    Then the diagnosis of the pod "ghost" is TS-90 with the exit code 2
