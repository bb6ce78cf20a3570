"""Extraction from single TypeScript/JavaScript files: facts only, no judgement."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest

from queuelint.findings import DEFAULT_JOB
from queuelint.frontends import extract
from queuelint.model import FileFacts, from_json, to_json


def facts(source: str, path: str = "src/a.ts") -> FileFacts:
    return extract(path, source.encode())


def test_bullmq_queue_add_with_enum_name() -> None:
    f = facts("""
import { Queue } from 'bullmq';
import { JobName } from './names';
const q = new Queue('mail');
await q.add(JobName.Welcome, { to: 'x' }, { attempts: 3, timeout: 5 });
""")
    (producer,) = f.producers
    assert producer.library == "bullmq"
    assert producer.queue.kind == "str" and producer.queue.text == "mail"
    assert producer.job.kind == "ref" and producer.job.text == "JobName.Welcome"
    assert [o.key for o in producer.options] == ["attempts", "timeout"]
    assert [q.name.text for q in f.queues] == ["mail"]


def test_bull_add_without_name_is_the_default_job() -> None:
    f = facts("""
const Queue = require('bull');
const q = new Queue('img');
const payload = { file: 'a' };
q.add({ file: 'a' });
q.add(payload, { attempts: 2 });
q.add('resize', payload);
""", "w.js")
    assert [p.job.text for p in f.producers] == [DEFAULT_JOB, DEFAULT_JOB, "resize"]


def test_local_const_template_with_time_is_dynamic() -> None:
    f = facts("""
import { Queue } from 'bullmq';
const q = new Queue('q');
export async function go(userId: string) {
  const jobId = `preset-${Date.now()}`;
  await q.add(jobId, {});
  await q.add(userId, {});
  await q.add(`static-${'part'}`, {});
}
""")
    kinds = [(p.job.kind, p.job.reason) for p in f.producers]
    assert kinds[0] == ("dynamic", "the current time")
    assert kinds[1] == ("dynamic", "the id variable `userId`")
    assert f.producers[2].job == f.producers[2].job.literal("static-part")


def test_wrapper_parameter_is_unknown_not_dynamic() -> None:
    f = facts("""
import { Queue } from 'bullmq';
const q = new Queue('q');
export function addJob(name: string, data: unknown) { return q.add(name, data); }
""")
    job = f.producers[0].job
    assert (job.kind, job.text, job.reason) == ("param", "0", "addJob")


def test_nest_processor_with_process_decorators() -> None:
    f = facts("""
import { Processor, Process } from '@nestjs/bull';
@Processor({ name: 'reports' })
export class ReportProcessor {
  @Process() a(job) {}
  @Process('pdf') b(job) {}
  @Process({ name: 'csv', concurrency: 2 }) c(job) {}
  @Process('*') d(job) {}
}
""")
    routes = [(c.handler, [r.job.text for r in c.routes], c.accepts_any) for c in f.consumers]
    assert routes == [
        ("ReportProcessor.a", [DEFAULT_JOB], False),
        ("ReportProcessor.b", ["pdf"], False),
        ("ReportProcessor.c", ["csv"], False),
        ("ReportProcessor.d", [], True),
    ]
    assert all(c.queue.text == "reports" and c.library == "bull" for c in f.consumers)


def test_worker_host_switch_routes_and_fallback() -> None:
    f = facts("""
import { Processor, WorkerHost } from '@nestjs/bullmq';
@Processor('jobs')
export class P extends WorkerHost {
  async process(job) {
    switch (job.name) {
      case 'a': return this.a(job);
      case 'b': return this.b(job);
      default: this.logger.warn('unknown');
    }
  }
}
""")
    (consumer,) = f.consumers
    assert consumer.kind == "worker-host" and consumer.library == "bullmq"
    assert [r.job.text for r in consumer.routes] == ["a", "b"]
    assert not consumer.accepts_any
    assert consumer.router is not None and consumer.router.fallback == "silent"


def test_default_that_does_real_work_is_a_catch_all() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  switch (job.name) {
    case 'a': return a(job);
    default: return generic(job);
  }
});
""")
    (consumer,) = f.consumers
    assert consumer.accepts_any
    assert consumer.router is not None and consumer.router.fallback == "handles"


def test_worker_without_routing_accepts_any_name() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => crawl(job.data));
new Worker('q2', null);
new Worker('q3', __dirname + '/processor.js');
""")
    assert [c.accepts_any for c in f.consumers] == [True, True, True]


def test_if_chain_routes_with_destructured_name() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  const { name } = job;
  if (name === 'x' || name === 'y') return x(job);
  if (name === 'z') return z(job);
  throw new Error('unknown');
});
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["x", "y", "z"]
    assert consumer.router is not None and consumer.router.fallback == "throws"


def test_returned_and_swallowed_errors_are_facts() -> None:
    f = facts("""
import { Processor, Process } from '@nestjs/bull';
@Processor('q')
export class P {
  @Process()
  async handle(job) {
    try {
      await work(job);
    } catch (e) {
      console.error(e);
    }
    const cb = () => { return { success: false }; };
    return this.helper(job);
  }
  helper(job) { return new ValidationError('bad'); }
}
""")
    (consumer,) = f.consumers
    assert [fact.via for fact in consumer.returned_errors] == ["helper"]
    assert len(consumer.swallowed_errors) == 1


def test_module_providers_and_register_queue() -> None:
    f = facts("""
import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { A } from './a';
@Module({ imports: [BullModule.registerQueue({ name: 'x' }, { name: 'y' })], providers: [A, { provide: 'B', useClass: B }] })
export class M {}
""")
    assert [name for name, _ in f.modules[0].providers] == ["A", "B"]
    assert [(q.kind, q.name.text) for q in f.queues] == [("register", "x"), ("register", "y")]


def test_module_level_bindings_are_flattened() -> None:
    f = facts("""
export const QUEUE = 'q';
export const JOBS = { A: 'a', Nested: { B: `b` } } as const;
export const FROZEN = Object.freeze({ C: 'c' });
export enum E { D = 'd', N = 1 }
export class K { static readonly F = 'f'; }
""", "src/names.ts")
    bindings = {k: v.text for k, v in f.bindings}
    assert bindings == {"QUEUE": "q", "JOBS.A": "a", "JOBS.Nested.B": "b", "FROZEN.C": "c", "E.D": "d", "K.F": "f"}


def test_flow_producer_tree() -> None:
    f = facts("""
import { FlowProducer } from 'bullmq';
const flow = new FlowProducer();
await flow.add({ name: 'render', queueName: 'video', children: [{ name: 'encode', queueName: 'encode' }] });
""")
    assert [(p.queue.text, p.job.text, p.call) for p in f.producers] == [("video", "render", "flow"), ("encode", "encode", "flow")]


def test_calls_on_non_queue_receivers_are_ignored() -> None:
    f = facts("""
import { Queue } from 'bullmq';
const seen = new Set<string>();
seen.add('x');
const q = new Queue('q');
""")
    assert f.producers == ()


def test_suppression_comments() -> None:
    f = facts("""
// queuelint-disable-next-line QL101, unhandled-job-name -- reason
x();
y(); // queuelint-disable-line
""")
    assert [(s.target_line, s.codes) for s in f.suppressions] == [(3, ("QL101", "unhandled-job-name")), (4, ())]


def test_syntax_error_still_yields_facts() -> None:
    f = facts("""
import { Queue } from 'bullmq';
const q = new Queue('q');
await q.add('a', {});
function broken( {
""")
    assert f.problems and f.problems[0].message.startswith("cannot parse near `function broken( {`")
    assert [p.job.text for p in f.producers] == ["a"]


def test_facts_round_trip_through_json() -> None:
    f = facts("""
import { Processor, WorkerHost } from '@nestjs/bullmq';
@Processor('jobs')
export class P extends WorkerHost {
  async process(job) { switch (job.name) { case 'a': return 1; } }
}
""")
    data = to_json(f)
    written = json.dumps(data)
    decoded = from_json(FileFacts, data)
    assert decoded == f and hash(decoded) == hash(f) and repr(decoded) == repr(f)
    assert json.dumps(data) == written  # the cache writes unchanged entries back as read
    with pytest.raises(FrozenInstanceError):
        decoded.path = "elsewhere"  # type: ignore[misc]
    # Fields left out (a facts file from elsewhere) take their defaults; unknown ones are refused.
    del data["consumers"][0]["routes"]
    assert from_json(FileFacts, data).consumers[0].routes == ()
    data["consumers"][0]["colour"] = "blue"
    with pytest.raises(KeyError, match="colour"):
        from_json(FileFacts, data)


def test_facts_of_another_shape_inside_a_pair_are_refused() -> None:
    """A pair (`exports`: `[local, exported]`) holding another kind of value, or of another
    length, is refused when read, not left for a later stage to fail on."""
    data = to_json(facts("export const mail = 'mail';\n"))
    assert data["exports"] == [["mail", "mail"]]
    for pair in (["mail", {}], ["mail"], ["mail", "mail", "mail"]):
        data["exports"] = [pair]
        with pytest.raises(TypeError):
            from_json(FileFacts, data)


def test_early_return_guard_before_a_switch_adds_its_name() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  if (job.name === 'reconcile') { await reconcile(); return; }
  switch (job.name) {
    case 'comment': await comment(); break;
    default: throw new Error('unknown');
  }
});
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["reconcile", "comment"]
    assert consumer.router is not None and consumer.router.fallback == "throws"


def test_negated_guard_routes_one_name() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  if (job.name !== 'snapshot') return;
  await snapshot(job.data);
});
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["snapshot"]
    assert consumer.router is not None and consumer.router.fallback == "silent"
    assert not consumer.accepts_any


def test_if_chain_inside_try_is_routing() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  try {
    if (job.name === 'a') return await a(job);
    if (job.name === 'b') return await b(job);
    throw new Error('unknown');
  } catch (error) {
    throw error;
  }
});
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["a", "b"]
    assert consumer.router is not None and consumer.router.fallback == "throws"


def test_bull_default_import_constructor_and_injected_property() -> None:
    f = facts("""
import Bull from 'bull';
import { InjectQueue } from '@nestjs/bull';
import { Queue } from 'bull';
const audio = new Bull('audio');
audio.add('encode', {});
export class S {
  @InjectQueue('video') private readonly video: Queue;
  run() { return this.video.add('transcode', {}); }
}
""")
    assert [(p.queue.text, p.job.text, p.library) for p in f.producers] == [
        ("audio", "encode", "bull"), ("video", "transcode", "bull")]


def test_guard_then_switch_inside_try_is_one_router() -> None:
    f = facts("""
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  if (job.name === 'reconcile') { await reconcile(); return; }
  try {
    switch (job.name) {
      case 'comment': await comment(); break;
      default: throw new Error('unknown');
    }
  } catch (error) {
    throw error;
  }
});
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["reconcile", "comment"]
    assert consumer.router is not None and consumer.router.fallback == "throws"


def test_get_queue_token_injection() -> None:
    f = facts("""
import { Inject } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
export class S {
  constructor(@Inject(getQueueToken('audit')) private readonly audit: Queue) {}
  log() { return this.audit.add('entry', {}); }
}
""")
    assert [(p.queue.text, p.job.text, p.library) for p in f.producers] == [("audit", "entry", "bullmq")]


def test_escapes_in_names_are_decoded() -> None:
    source = (b"import { Queue, Worker } from 'bullmq';\nconst q = new Queue('mail');\n"
              b"q.add('it\\'s', {});\nq.add(\"tab\\u0041\", {});\nq.add(`x\\x41\\u{42}`, {});\n"
              b"new Worker('mail', async (job) => {\n  switch (job.name) {\n"
              b"    case \"it's\": return;\n    case 'a\\nb': return;\n    default: throw new Error(job.name);\n  }\n});\n")
    facts = extract("src/q.ts", source)
    assert [p.job.text for p in facts.producers] == ["it's", "tabA", "xAB"]
    assert [r.job.text for r in facts.consumers[0].routes] == ["it's", "a\nb"]


def test_bullmq_job_schedulers_name_their_jobs_by_template_or_id() -> None:
    f = facts("""
import { Queue } from 'bullmq';
const reports = new Queue('reports');
const template = { name: 'weekly', data: {} };
await reports.upsertJobScheduler('daily-report', { pattern: '0 9 * * *' }, { name: 'generate', data: {},
  opts: { attempts: 2 } });
await reports.upsertJobScheduler('cleanup', { every: 60000 });
await reports.upsertJobScheduler('weekly-report', { pattern: '0 9 * * 1' }, template);
""")
    jobs = [(p.call, p.job.kind, p.job.text, [o.key for o in p.options]) for p in f.producers]
    assert jobs == [("upsertJobScheduler", "str", "generate", ["attempts"]),
                    ("upsertJobScheduler", "str", "cleanup", []),
                    ("upsertJobScheduler", "unknown", "template", [])]
