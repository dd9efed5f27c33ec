"""Code that runs in the student's process (a sandbox, or a learner's kernel).

Everything it produces is a claim: the primitive calls it saw and what the task returned. The grader never takes
it as fact; `grader.judge` replays the claimed calls in its own process.
"""
