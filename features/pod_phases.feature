Feature: Pod phases and container states
  The phase sums up the containers: Pending until they start, Running while one runs or restarts,
  Succeeded or Failed when all have ended for good. restartPolicy decides what an exit means.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @LW-12
  Scenario: A container that exits 0 under restartPolicy Never: Succeeded
    When I create a pod "job" running "echo hello; exit 0" with restartPolicy Never
    Then the pod "job" is Succeeded
    And the container "main" of the pod "job" terminated with exit code 0 and reason "Completed"
    And the logs of the pod "job" are "hello"

  @LW-12
  Scenario: A container that exits 3 under restartPolicy Never: Failed, with its logs
    When I create a pod "job" running "echo started; exit 3" with restartPolicy Never
    Then the pod "job" is Failed
    And the container "main" of the pod "job" terminated with exit code 3 and reason "Error"
    And the logs of the pod "job" are "started"

  @LW-12
  Scenario: A container that keeps failing under restartPolicy Always: CrashLoopBackOff
    When I create a pod "crash" running "exit 1" with restartPolicy Always
    Then the pod "crash" is Running with the container "main" waiting in "CrashLoopBackOff"
    And the container "main" of the pod "crash" has restarted at least 2 times
    And the pod "crash" has a Warning event BackOff from kubelet

  Scenario: A running pod deleted whose container stops cleanly on SIGTERM: Succeeded, then gone
    When I create a pod "graceful" running "trap 'exit 0' TERM; while true; do sleep 1; done" with restartPolicy Always
    Then the pod "graceful" is Running
    When I delete the pod "graceful"
    Then the pod "graceful" was Succeeded, with the container "main" terminated with exit code 0 and reason "Completed", before it was gone
    And the deleted pod had a Normal event Killing from kubelet: "Stopping container main"

  Scenario: An image that cannot be pulled: ErrImagePull, then ImagePullBackOff, Pending, no restarts
    When I create a pod "broken" with the image "nginx:1.13-invalid"
    Then the container "app" of the pod "broken" waits in "ErrImagePull" then "ImagePullBackOff"
    And the pod "broken" is Pending with 0 restarts
    And the pod "broken" has a Warning event Failed from kubelet: "Error: ErrImagePull"
