Feature: Kubelet restarts and retries: the last failure stays until the new attempt ends
  Only a pod's first start shows ContainerCreating. When a container restarts, or its image is
  pulled again, the kubelet goes on reporting the last failure (Error, CrashLoopBackOff,
  ErrImagePull, ImagePullBackOff) until the new container runs or the pull fails again. An image
  reference that cannot be parsed is InvalidImageName at once: nothing is pulled, nothing retried.

  Background:
    Given a cluster with nodes "node01" and "node02"

  @LW-12
  Scenario: A crashing container restarts from CrashLoopBackOff, never from ContainerCreating
    When I create a pod "crash" running "exit 1" with restartPolicy Always
    Then the container "main" of the pod "crash" restarts 3 times, never waiting in "ContainerCreating" again

  Scenario: An image pulled again keeps ErrImagePull and ImagePullBackOff in between
    When I create a pod "broken" with the image "nginx:1.13-invalid"
    Then the container "app" of the pod "broken" is pulled again, never waiting in "ContainerCreating" again

  Scenario: An image reference that cannot be parsed: InvalidImageName, no pull, no back-off
    When I create a pod "shouty" with the image "busyBOX"
    Then the container "app" of the pod "shouty" waits in "InvalidImageName" with the message "Failed to apply default image tag "busyBOX": couldn't parse image name "busyBOX": invalid reference format: repository name (library/busyBOX) must be lowercase"
    And the pod "shouty" has a Warning event InspectFailed from kubelet
    And the pod "shouty" has a Warning event Failed from kubelet: "Error: InvalidImageName"
    And the pod "shouty" has no "Pulling" event
    And the pod "shouty" is Pending with 0 restarts
