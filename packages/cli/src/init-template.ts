/**
 * What `maspo init` writes: a commented run spec and a small JSONL dataset that validate as they
 * are and run offline against simlm, for a user to edit into their own system.
 */

export const INIT_SPEC_FILE = "maspo.yaml";
export const INIT_TRAIN_FILE = "data/train.jsonl";
export const INIT_HELD_OUT_FILE = "data/heldout.jsonl";
export const INIT_SCHEMA_FILE = "maspo.schema.json";

export const INIT_SPEC_YAML = `# yaml-language-server: $schema=./maspo.schema.json
#
# A maspo run spec, written by \`maspo init\`. It validates as it is and runs offline against simlm,
# the simulated LLM world; point \`models\` at real endpoints to optimize a real system.
#
#   npx maspo validate maspo.yaml      # every problem at once, nothing started
#   npx maspo schema                   # the JSON Schema of this file (maspo.schema.json beside it)
#   npx maspo run maspo.yaml --out runs/first

name: my-first-run

# What the system is for, and how its final answer is scored.
task:
  name: arithmetic word problems
  input:
    description: A short word problem whose answer is a whole number.
  output:
    description: 'The final line "Answer: <n>".'
  metric:
    kind: exact_match              # or numeric (with tolerance), contains, judge (no labels), world (simlm)
    extract: 'Answer:\\s*(-?\\d+)'   # regex on the final output; its first group is compared with the label

# LLM endpoints, declared once and referenced by id. A real endpoint names the environment variable
# that holds its key (apiKeyEnv); the key itself never goes in this file.
models:
  sim:
    baseURL: simlm://math-chain    # the simulated LLM world, in process: no key, no network
    model: sim-small
    price: { inputPerMTok: 0, outputPerMTok: 0 }
  # gpt:
  #   baseURL: https://api.openai.com/v1
  #   model: gpt-4o-mini
  #   apiKeyEnv: OPENAI_API_KEY
  #   price: { inputPerMTok: 0.15, outputPerMTok: 0.6 }

# The agent graph: who sees whose output. topology: sequential | hierarchical | dag.
graph:
  topology: sequential
  final: formatter                 # the agent whose output is the system's answer
  agents:
    - id: planner
      role: planner
      predecessors: []
      model: sim                   # serving model; or set serving.default for all agents
    - id: solver
      role: solver
      predecessors: [planner]
      model: sim
    - id: formatter
      role: formatter
      predecessors: [solver]
      model: sim

# The initial prompt of every agent: free text, or role/instructions/outputFormat/constraints.
prompts:
  planner:
    role: planner
    instructions: Read the word problem and write the steps needed to solve it.
    outputFormat: A numbered list of steps.
  solver:
    role: solver
    instructions: Follow the plan and compute the result.
  formatter: |
    You are the formatter.

    Give the final answer to the problem.

    Output format: a single line "Answer: <n>".

dataset:
  source:
    kind: jsonl                    # or inline (train/heldOut lists), or simlm (a world's generator)
    train: data/train.jsonl        # one {"id", "input", "label"} per line, relative to this file
    heldOut: data/heldout.jsonl    # scored once at the end; must not overlap train
  heldOutUsedForTuning: false      # must be stated: a split used for tuning cannot measure the result

evaluation:
  model: sim                       # the judge for all three lenses; or { local, lookahead, global }
optimizer:
  model: sim                       # proposes new prompts from execution traces
  temperature: 0.7

# Search settings default to the MASPO method's: beam 5, 10 rounds, 3 epochs, all five mutation
# operators, 2 children per parent, minibatches of 10. This small dataset wants smaller batches:
search:
  minibatchSize: 4

# Joint reward weights default to local 0.25, lookahead 0.35, global 0.40; an override needs a reason:
# weights: { local: 0.4, lookahead: 0.4, global: 0.2, reason: "..." }   (or { preset: paper })

guards:                            # must be stated: a number, or null for "explicitly no floor"
  finalMetricFloor: null
  localValidityFloor: null
  tokensPerRoundMax: null

stop:
  patience: 3                      # rounds without global improvement
  deadline: 30m                    # must be stated: e.g. 90s, 30m, 2h

seed: 0
`;

const TRAIN_LINES = [
  "{\"id\": \"t01\", \"input\": \"Mia has 12 apples and buys 7 more. How many apples does she have now?\", \"label\": \"19\"}",
  "{\"id\": \"t02\", \"input\": \"A box holds 8 pencils. How many pencils are in 6 boxes?\", \"label\": \"48\"}",
  "{\"id\": \"t03\", \"input\": \"Tom had 50 marbles and gave 18 to his sister. How many marbles does he have left?\", \"label\": \"32\"}",
  "{\"id\": \"t04\", \"input\": \"A train travels 60 km each hour. How far does it travel in 4 hours?\", \"label\": \"240\"}",
  "{\"id\": \"t05\", \"input\": \"Sara reads 15 pages a day. How many pages does she read in 9 days?\", \"label\": \"135\"}",
  "{\"id\": \"t06\", \"input\": \"There are 96 chairs shared equally among 8 rooms. How many chairs are in each room?\", \"label\": \"12\"}",
  "{\"id\": \"t07\", \"input\": \"A shop sells 23 cakes in the morning and 19 in the afternoon. How many cakes does it sell that day?\", \"label\": \"42\"}",
  "{\"id\": \"t08\", \"input\": \"Leo saves 5 dollars a week for 11 weeks, then spends 20 dollars. How many dollars does he have left?\", \"label\": \"35\"}",
];

const HELD_OUT_LINES = [
  "{\"id\": \"h01\", \"input\": \"Omar has 34 stamps and buys 27 more. How many stamps does he have now?\", \"label\": \"61\"}",
  "{\"id\": \"h02\", \"input\": \"A crate holds 9 melons. How many melons are in 7 crates?\", \"label\": \"63\"}",
  "{\"id\": \"h03\", \"input\": \"A class of 28 pupils splits into teams of 4. How many teams are there?\", \"label\": \"7\"}",
  "{\"id\": \"h04\", \"input\": \"Ava runs 3 km every day for 2 weeks. How many km does she run in total?\", \"label\": \"42\"}",
];

export const INIT_TRAIN_JSONL = `${TRAIN_LINES.join("\n")}\n`;
export const INIT_HELD_OUT_JSONL = `${HELD_OUT_LINES.join("\n")}\n`;
