"""Queues a base class makes from what its subclasses pass to `super(…)`, and abstract classes
read like any other: a call on an object of the subclass is a producer of that queue."""

from __future__ import annotations

from pathlib import Path

from queuelint import engine
from queuelint.config import Settings
from tests.helpers import found, run, write_project

BASE = """
import { Queue, Worker } from 'bullmq';
export abstract class QueueService {
  protected queue: Queue;
  constructor(protected readonly topic: string) {
    this.queue = new Queue(topic);
  }
  add(name: string, data: unknown) {
    return this.queue.add(name, data);
  }
}
export abstract class PassedQueueService {
  constructor(protected readonly queue: Queue) {}
  publish(name: string) { return this.queue.add(name, {}); }
}
export abstract class WorkerService {
  constructor(topic: string, processor: (job: any) => Promise<void>) {
    new Worker(topic, processor);
  }
}
"""
TOPICS = "export enum Topic { Mail = 'mail', Reports = 'reports' }\n"
SERVICES = """
import { Queue } from 'bullmq';
import { QueueService, PassedQueueService, WorkerService } from './base';
import { Topic } from './topics';
export class MailQueueService extends QueueService {
  constructor() { super(Topic.Mail); }
}
export class UrgentMailQueueService extends MailQueueService {}
export class ReportQueueService extends PassedQueueService {
  constructor() { super(new Queue(Topic.Reports)); }
}
export class MailWorker extends WorkerService {
  constructor() { super(Topic.Mail, async () => {}); }
}
"""


def sites(root: Path, files: dict[str, str]) -> tuple[set[tuple[str, int, str, str]], set[tuple[str, int, str]]]:
    """(file, line, queue, job) of known producers, (file, line, queue) of known consumers."""
    write_project(root, files)
    result = engine.analyse([str(root)], Settings(root=str(root)), jobs=1)
    assert result.graph is not None and not result.internal_errors
    producers = {(Path(s.path).relative_to(root).as_posix(), s.span.line, s.queue.value, s.job.value)
                 for s in result.graph.producers() if s.queue.is_value and s.job.is_value}
    consumers = {(Path(s.path).relative_to(root).as_posix(), s.span.line, s.queue.value)
                 for s in result.graph.consumer_sites if s.queue.is_value}
    return producers, consumers


def test_a_queue_named_by_what_a_subclass_passes_to_super(tmp_path: Path) -> None:
    use = """
    import { MailQueueService, UrgentMailQueueService, ReportQueueService } from './services';
    export class Signup {
      constructor(private readonly mail: MailQueueService, private readonly urgent: UrgentMailQueueService,
                  private readonly reports: ReportQueueService) {}
      async go() {
        await this.mail.add('welcome', {});
        await this.urgent.add('alarm', {});
        await this.reports.publish('daily');
      }
    }
    """
    producers, consumers = sites(tmp_path, {"src/base.ts": BASE, "src/topics.ts": TOPICS,
                                            "src/services.ts": SERVICES, "src/use.ts": use})
    assert producers == {
        ("src/use.ts", 7, "mail", "welcome"),
        ("src/use.ts", 8, "mail", "alarm"),  # a class between: the first `super(…)` up the chain
        ("src/use.ts", 9, "reports", "daily"),  # a queue object passed up
    }
    assert consumers == {("src/services.ts", 13, "mail")}


def test_a_method_s_argument_is_not_taken_for_the_constructor_s_queue(tmp_path: Path) -> None:
    # Nothing says which queue this instance was made with: its producers' queue is unknown,
    # and neither the job name ('welcome') nor anything else is taken for it.
    use = """
    import { QueueService } from './base';
    export function go(service: QueueService, topic: string) {
      return new Direct(topic).add('welcome', {});
    }
    class Direct extends QueueService {}
    export class Caller {
      constructor(private readonly service: QueueService) {}
      run() { return this.service.add('welcome', {}); }
    }
    """
    producers, _ = sites(tmp_path, {"src/base.ts": BASE, "src/use.ts": use})
    assert producers == set()
    assert run(tmp_path) == []


def test_abstract_classes_are_read_like_any_other(tmp_path: Path) -> None:
    audit = """
    import { Queue, Worker } from 'bullmq';
    export abstract class Audited {
      private readonly queue = new Queue('audit');
      protected record(kind: string) { return this.queue.add('recrod', { kind }); }
    }
    new Worker('audit', async (job) => {
      if (job.name === 'record') return;
      throw new Error(`unknown job ${job.name}`);
    });
    """
    diagnostics = run(tmp_path, {"src/audit.ts": audit})
    assert ("src/audit.ts", 5, "QL102") in found(tmp_path, diagnostics)


def test_a_base_method_reading_what_each_subclass_declares(tmp_path: Path) -> None:
    # `this.jobName` / `this.queueName` in the base class's method: what the class of the call's
    # object (or one between it and the base) declares; `this.constructor.name`: that class.
    base = """
import { Queue } from 'bullmq';
const queues: Record<string, Queue> = {};
export function getQueue(name: string) { return (queues[name] ??= new Queue(name)); }
export abstract class Command<P> {
  abstract readonly jobName: string;
  readonly queueName: string = 'commands';
  dispatch(payload: P) { return getQueue(this.queueName).add(this.jobName, payload); }
  audit(payload: P) { return getQueue('audit').add(this.constructor.name, payload); }
}
"""
    commands = """
import { Command } from './base';
export class ChargeCard extends Command<{ id: string }> {
  readonly jobName = 'charge-card';
  readonly queueName = 'payments';
}
export class RefundCard extends ChargeCard {
  readonly jobName = 'refund-card';
}
export class Ping extends Command<{}> {
  readonly jobName = 'ping';
}
"""
    use = """
import { ChargeCard, RefundCard, Ping } from './commands';
export async function checkout(id: string) {
  await new ChargeCard().dispatch({ id });
  const refund = new RefundCard();
  await refund.dispatch({ id });
  await new Ping().dispatch({});
  await refund.audit({ id });
}
"""
    producers, _ = sites(tmp_path, {"src/base.ts": base, "src/commands.ts": commands, "src/use.ts": use})
    assert producers == {
        ("src/use.ts", 4, "payments", "charge-card"),
        ("src/use.ts", 6, "payments", "refund-card"),  # its own name, the queue of the class it extends
        ("src/use.ts", 7, "commands", "ping"),  # the base's own default
        ("src/use.ts", 8, "audit", "RefundCard"),
    }


def test_a_base_class_method_reading_a_field_its_subclass_sets_through_super(tmp_path: Path) -> None:
    """`this.instance.createWorker(this.topic, processor)` in a base class's method, reached
    through `this.initWorker(…)` in a subclass whose constructor passes `super(Topic.Mail, …)`:
    the worker is on the subclass's topic, with the processor the subclass hands in (through
    every layer); `this.topic = topic` in the constructor counts as a parameter property does."""
    bull = """
import { Queue, Worker, Processor } from 'bullmq';
export class BullService {
  private worker: Worker;
  public createWorker(topic: string, processor: Processor) { this.worker = new Worker(topic, processor); }
}
"""
    base = """
import { BullService } from './bull.service';
export class WorkerBase {
  private instance: BullService;
  constructor(public readonly topic: string, bull: BullService) { this.instance = bull; }
  public initWorker(processor: any) { this.createWorker(processor); }
  public createWorker(processor: any) { this.instance.createWorker(this.topic, processor); }
}
export class PlainBase {
  private topic: string;
  private instance = new BullService();
  constructor(topic: string) { this.topic = topic; }
  public start(processor: any) { this.instance.createWorker(this.topic, processor); }
}
"""
    workers = """
import { WorkerBase, PlainBase } from './worker-base';
import { BullService } from './bull.service';
import { Topic } from './topics';
export class MailWorker extends WorkerBase {
  constructor() {
    super(Topic.Mail, new BullService());
    this.initWorker(async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });
  }
}
export class ReportWorker extends PlainBase {
  constructor() {
    super(Topic.Reports);
    this.start(async (job) => { if (job.name === 'daily') return; throw new Error(job.name); });
  }
}
"""
    producers = """
import { Queue } from 'bullmq';
export const go = () => Promise.all([new Queue('mail').add('welcome', {}), new Queue('mail').add('reset', {}),
                                     new Queue('reports').add('daily', {})]);
"""
    files = {"src/bull.service.ts": bull, "src/worker-base.ts": base, "src/workers.ts": workers, "src/topics.ts": TOPICS,
             "src/producers.ts": producers}
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {(s.queue.value, tuple(name.value for _, name in s.routes)) for s in result.graph.consumer_sites} == {
        ("mail", ("welcome",)), ("reports", ("daily",))}
    assert found(tmp_path, run(tmp_path)) == {("src/producers.ts", 3, "QL102")}  # 'reset' on 'mail'
