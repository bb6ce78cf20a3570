"""The flow stage: values followed through functions, between the facts and the graph.

Front-ends summarise each function in the `Expr` vocabulary (what it returns, which
queue-library calls it makes with which of its parameters). Here, and in `resolve.py`
beneath, call sites are evaluated against those summaries with their arguments bound:

- `factories`: which exported functions and classes hand out queue objects, so that the
  files using them are read (on demand: they need not name a queue library);
- `callsites`: functions whose parameters reach a producer's or consumer's queue or job
  name (`publish(name, data)`, `createWorker(queue, processor)`) become producers and
  consumers at each of their calls, through several layers, to a fixed point; a queue a
  base class makes from its constructor's parameters is named by what a subclass passes to
  `super(…)` (`Supers`), and so is `this.topic` read in a base class's method, at each call
  on an object of a subclass (or passed on through `this.method()`); a task or route a
  factory names from its parameter is named at each of the factory's calls; and the calls
  of a function a producer of its own name is written in are listed as relays (`new
  ExportTask().schedule()` over `BaseTask.schedule()`), and their callers' calls, a few
  layers out, the callee found up the class hierarchy, Python callers read with the standard
  parser (`frontends.python.callers`). Relays are the graph's alone: a run for findings
  does not look for them;
- `resolve.Resolver` evaluates a call (`createQueue('mail')`, `getQueueName('cron')`,
  `MailQueue.getInstance()`) to what its callee returns;
- `decorated`: a producer whose library its callee's decorator tells (`fn.delay()` on RQ's
  `@job`, found through the decorator's module);
- `handlers`: handlers read where they are written (imported and sandboxed processors, the
  processor a factory call returns with the handler map the call passes, the functions a
  processor hands its work to, RQ job functions), joined to the consumers that run them.

The files these need are read on demand (`demand.second_look`, `engine._factory_users`).
"""

from queuelint.flow.factories import exported_factories

__all__ = ["exported_factories"]
