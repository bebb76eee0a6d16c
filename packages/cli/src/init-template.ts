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

// Problems drawn from the simlm world math-chain's generator, so the offline model recognises them.
const TRAIN_LINES = [
  '{"id": "t01", "input": "Mia has 33 marbles. She buys 9 bags with 6 marbles in each bag. How many marbles does Mia have now?", "label": "87"}',
  '{"id": "t02", "input": "A school orders 10 boxes of 15 pencils. It gives 5 pencils to each of 7 classes, then buys 22 more pencils. How many pencils does the school have now?", "label": "137"}',
  '{"id": "t03", "input": "A bakery bakes 7 trays of 8 muffins each. It sells 9 muffins in the morning and 5 muffins in the afternoon. How many muffins are left?", "label": "42"}',
  '{"id": "t04", "input": "Mia has 29 marbles. She buys 9 bags with 10 marbles in each bag. How many marbles does Mia have now?", "label": "119"}',
  '{"id": "t05", "input": "Mia has 24 marbles. She buys 6 bags with 9 marbles in each bag. How many marbles does Mia have now?", "label": "78"}',
  '{"id": "t06", "input": "A school orders 10 boxes of 10 pencils. It gives 3 pencils to each of 7 classes, then buys 13 more pencils. How many pencils does the school have now?", "label": "92"}',
  '{"id": "t07", "input": "A bakery bakes 7 trays of 12 muffins each. It sells 6 muffins in the morning and 2 muffins in the afternoon. How many muffins are left?", "label": "76"}',
  '{"id": "t08", "input": "Mia has 15 marbles. She buys 3 bags with 6 marbles in each bag. How many marbles does Mia have now?", "label": "33"}',
  '{"id": "t09", "input": "A school orders 12 boxes of 11 pencils. It gives 4 pencils to each of 6 classes, then buys 6 more pencils. How many pencils does the school have now?", "label": "114"}',
  '{"id": "t10", "input": "Mia has 38 marbles. She buys 5 bags with 4 marbles in each bag. How many marbles does Mia have now?", "label": "58"}',
  '{"id": "t11", "input": "Mia has 27 marbles. She buys 3 bags with 4 marbles in each bag. How many marbles does Mia have now?", "label": "39"}',
  '{"id": "t12", "input": "A school orders 10 boxes of 16 pencils. It gives 4 pencils to each of 4 classes, then buys 26 more pencils. How many pencils does the school have now?", "label": "170"}',
];

const HELD_OUT_LINES = [
  '{"id": "h01", "input": "A bakery bakes 5 trays of 10 muffins each. It sells 4 muffins in the morning and 5 muffins in the afternoon. How many muffins are left?", "label": "41"}',
  '{"id": "h02", "input": "A school orders 8 boxes of 14 pencils. It gives 3 pencils to each of 7 classes, then buys 14 more pencils. How many pencils does the school have now?", "label": "105"}',
  '{"id": "h03", "input": "Mia has 7 marbles. She buys 5 bags with 3 marbles in each bag. How many marbles does Mia have now?", "label": "22"}',
  '{"id": "h04", "input": "A bakery bakes 7 trays of 11 muffins each. It sells 6 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "68"}',
  '{"id": "h05", "input": "A bakery bakes 4 trays of 12 muffins each. It sells 5 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "40"}',
  '{"id": "h06", "input": "Mia has 6 marbles. She buys 3 bags with 6 marbles in each bag. How many marbles does Mia have now?", "label": "24"}',
  '{"id": "h07", "input": "A bakery bakes 8 trays of 11 muffins each. It sells 8 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "77"}',
  '{"id": "h08", "input": "A school orders 8 boxes of 14 pencils. It gives 2 pencils to each of 7 classes, then buys 13 more pencils. How many pencils does the school have now?", "label": "111"}',
];

export const INIT_TRAIN_JSONL = `${TRAIN_LINES.join("\n")}\n`;
export const INIT_HELD_OUT_JSONL = `${HELD_OUT_LINES.join("\n")}\n`;
