Feature: Jobs: the job controller runs pods to completion
  A Job creates pods from its template (named after it, with its labels, owned by it, carrying
  the batch.kubernetes.io/job-tracking finalizer until they are counted) and keeps up to
  `parallelism` of them running until `completions` pods succeeded. A failed pod is replaced
  after a back-off, until more pods failed than `backoffLimit`; a pod failure policy or
  `activeDeadlineSeconds` can fail the Job sooner. A succeeding Job first gets the
  SuccessCriteriaMet condition, then Complete; a failing one FailureTarget, then Failed.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: A Job whose pod exits 0 is Complete
    When I create a job "hello" running "echo hello; exit 0"
    Then the job "hello" is Complete with reason CompletionsReached: "Reached expected number of succeeded pods"
    And the job "hello" has 1 succeeded and 0 failed pods
    And each pod of the job "hello" has the job's labels and the tracking finalizer removed
    And the job "hello" has the events SuccessfulCreate, Completed from job-controller
    And the job "hello" has a Normal event Completed: "Job completed"

  Scenario: Parallel pods, never more than parallelism at once
    When I create a job "batch" running "sleep 2; exit 0" with parallelism 2 and completions 4
    Then the job "batch" is Complete
    And the job "batch" has 4 succeeded and 0 failed pods
    And the job "batch" never had more than 2 active pods

  Scenario: A Job whose pods fail more than backoffLimit times Fails
    When I create a job "broken" running "exit 1" with backoffLimit 1
    Then the job "broken" is Failed with reason BackoffLimitExceeded: "Job has reached the specified backoff limit"
    And the job "broken" has 0 succeeded and 2 failed pods
    And the job "broken" has a Warning event BackoffLimitExceeded: "Job has reached the specified backoff limit"

  Scenario: A pod failure policy fails the Job on an exit code
    When I create a job "strict" running "exit 42" with a pod failure policy that fails the job on exit code 42
    Then the job "strict" is Failed with reason PodFailurePolicy
    And the job "strict" has 0 succeeded and 1 failed pods

  Scenario: A Job active longer than activeDeadlineSeconds Fails, its pods deleted
    When I create a job "slow" running "sleep 3600" with activeDeadlineSeconds 3
    Then the job "slow" is Failed with reason DeadlineExceeded: "Job was active longer than specified deadline"
    And the job "slow" has 0 active pods

  Scenario: A suspended Job starts no pod until it is resumed
    When I create a suspended job "later" running "exit 0"
    Then the job "later" is suspended and has no pods
    When I resume the job "later"
    Then the job "later" is Complete
    And the job "later" has the events Suspended, Resumed, SuccessfulCreate, Completed from job-controller

  Scenario: Deleting a Job deletes its pods
    When I create a job "doomed" running "sleep 3600"
    Then the job "doomed" has 1 active pods
    When I delete the job "doomed"
    Then the job "doomed" and its pods are gone

  Scenario: A CronJob starts a Job at its schedule time
    When I create a CronJob "tick" with the schedule "* * * * *" running "echo tick"
    Then the CronJob "tick" started a Job that is Complete
    And the CronJob "tick" has a Normal event SuccessfulCreate
    And the CronJob "tick" has a Normal event SawCompletedJob
    When I suspend the CronJob "tick" for a second
    And I delete the CronJob "tick"
    Then the CronJob "tick" and its Jobs are gone
