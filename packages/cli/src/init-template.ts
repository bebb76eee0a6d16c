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
#   maspo validate maspo.yaml      # every problem at once, nothing started
#   maspo schema                   # the JSON Schema of this file (maspo.schema.json beside it)
#   maspo run maspo.yaml --out runs/first
#
# \`maspo\` is the installed command (from a clone of maspo: npm install && npm install -g ./packages/cli).
# Inside the clone \`npx maspo\` works too; outside it \`npx maspo\` asks npm for a package named maspo,
# which is not published (npm error 404).

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
# These are the simlm world math-chain's own starting prompts (deliberately mediocre, so there is
# something to optimize): the offline model recognises each agent by its role sentence.
prompts:
  planner:
    role: planner
    instructions: Read the arithmetic word problem and describe how it could be solved.
    outputFormat: A short plan.
  solver:
    role: solver
    instructions: Solve the word problem using the notes you are given.
    outputFormat: "Your working, then a line \`Result: <number>\`."
    constraints:
      - Show your work.
  formatter: |
    You are the formatter.

    Write the final answer for the user based on the notes you are given.

    Output format: End with a line \`Answer: <number>\`.

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
# operators, 2 children per parent, minibatches of 10. Changing the beam, rounds, epochs or operators
# needs a reason (search.reason: "..."; the report quotes it). This small dataset wants smaller batches:
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

// Problems drawn from the simlm world math-chain's generator (its first 24 train and 24 held-out
// examples), so the offline model recognises them.
const TRAIN_LINES = [
  '{"id": "t01", "input": "A bakery bakes 7 trays of 12 muffins each. It sells 8 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "73"}',
  '{"id": "t02", "input": "Mia has 32 marbles. She buys 4 bags with 12 marbles in each bag. How many marbles does Mia have now?", "label": "80"}',
  '{"id": "t03", "input": "A bakery bakes 7 trays of 8 muffins each. It sells 6 muffins in the morning and 6 muffins in the afternoon. How many muffins are left?", "label": "44"}',
  '{"id": "t04", "input": "Mia has 40 marbles. She buys 4 bags with 7 marbles in each bag. How many marbles does Mia have now?", "label": "68"}',
  '{"id": "t05", "input": "A school orders 12 boxes of 12 pencils. It gives 5 pencils to each of 6 classes, then buys 29 more pencils. How many pencils does the school have now?", "label": "143"}',
  '{"id": "t06", "input": "A school orders 12 boxes of 15 pencils. It gives 4 pencils to each of 5 classes, then buys 20 more pencils. How many pencils does the school have now?", "label": "180"}',
  '{"id": "t07", "input": "A bakery bakes 7 trays of 12 muffins each. It sells 9 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "72"}',
  '{"id": "t08", "input": "Mia has 12 marbles. She buys 4 bags with 6 marbles in each bag. How many marbles does Mia have now?", "label": "36"}',
  '{"id": "t09", "input": "Mia has 30 marbles. She buys 9 bags with 6 marbles in each bag. How many marbles does Mia have now?", "label": "84"}',
  '{"id": "t10", "input": "A school orders 11 boxes of 14 pencils. It gives 4 pencils to each of 4 classes, then buys 22 more pencils. How many pencils does the school have now?", "label": "160"}',
  '{"id": "t11", "input": "A bakery bakes 6 trays of 8 muffins each. It sells 4 muffins in the morning and 6 muffins in the afternoon. How many muffins are left?", "label": "38"}',
  '{"id": "t12", "input": "A school orders 11 boxes of 11 pencils. It gives 5 pencils to each of 7 classes, then buys 28 more pencils. How many pencils does the school have now?", "label": "114"}',
  '{"id": "t13", "input": "A school orders 12 boxes of 20 pencils. It gives 3 pencils to each of 6 classes, then buys 29 more pencils. How many pencils does the school have now?", "label": "251"}',
  '{"id": "t14", "input": "Mia has 22 marbles. She buys 9 bags with 12 marbles in each bag. How many marbles does Mia have now?", "label": "130"}',
  '{"id": "t15", "input": "Mia has 26 marbles. She buys 7 bags with 12 marbles in each bag. How many marbles does Mia have now?", "label": "110"}',
  '{"id": "t16", "input": "A school orders 8 boxes of 17 pencils. It gives 3 pencils to each of 5 classes, then buys 12 more pencils. How many pencils does the school have now?", "label": "133"}',
  '{"id": "t17", "input": "A school orders 7 boxes of 11 pencils. It gives 2 pencils to each of 8 classes, then buys 14 more pencils. How many pencils does the school have now?", "label": "75"}',
  '{"id": "t18", "input": "A school orders 7 boxes of 18 pencils. It gives 2 pencils to each of 8 classes, then buys 22 more pencils. How many pencils does the school have now?", "label": "132"}',
  '{"id": "t19", "input": "A bakery bakes 4 trays of 9 muffins each. It sells 3 muffins in the morning and 4 muffins in the afternoon. How many muffins are left?", "label": "29"}',
  '{"id": "t20", "input": "A school orders 6 boxes of 12 pencils. It gives 3 pencils to each of 5 classes, then buys 11 more pencils. How many pencils does the school have now?", "label": "68"}',
  '{"id": "t21", "input": "Mia has 26 marbles. She buys 8 bags with 7 marbles in each bag. How many marbles does Mia have now?", "label": "82"}',
  '{"id": "t22", "input": "Mia has 6 marbles. She buys 7 bags with 4 marbles in each bag. How many marbles does Mia have now?", "label": "34"}',
  '{"id": "t23", "input": "Mia has 13 marbles. She buys 6 bags with 3 marbles in each bag. How many marbles does Mia have now?", "label": "31"}',
  '{"id": "t24", "input": "Mia has 31 marbles. She buys 7 bags with 12 marbles in each bag. How many marbles does Mia have now?", "label": "115"}',
];

const HELD_OUT_LINES = [
  '{"id": "h01", "input": "A bakery bakes 4 trays of 12 muffins each. It sells 6 muffins in the morning and 8 muffins in the afternoon. How many muffins are left?", "label": "34"}',
  '{"id": "h02", "input": "A school orders 7 boxes of 14 pencils. It gives 3 pencils to each of 6 classes, then buys 23 more pencils. How many pencils does the school have now?", "label": "103"}',
  '{"id": "h03", "input": "Mia has 33 marbles. She buys 2 bags with 10 marbles in each bag. How many marbles does Mia have now?", "label": "53"}',
  '{"id": "h04", "input": "Mia has 10 marbles. She buys 5 bags with 9 marbles in each bag. How many marbles does Mia have now?", "label": "55"}',
  '{"id": "h05", "input": "A school orders 10 boxes of 14 pencils. It gives 3 pencils to each of 3 classes, then buys 15 more pencils. How many pencils does the school have now?", "label": "146"}',
  '{"id": "h06", "input": "Mia has 12 marbles. She buys 6 bags with 10 marbles in each bag. How many marbles does Mia have now?", "label": "72"}',
  '{"id": "h07", "input": "Mia has 30 marbles. She buys 7 bags with 7 marbles in each bag. How many marbles does Mia have now?", "label": "79"}',
  '{"id": "h08", "input": "A school orders 11 boxes of 15 pencils. It gives 4 pencils to each of 5 classes, then buys 29 more pencils. How many pencils does the school have now?", "label": "174"}',
  '{"id": "h09", "input": "A bakery bakes 7 trays of 10 muffins each. It sells 5 muffins in the morning and 9 muffins in the afternoon. How many muffins are left?", "label": "56"}',
  '{"id": "h10", "input": "A school orders 12 boxes of 14 pencils. It gives 3 pencils to each of 7 classes, then buys 29 more pencils. How many pencils does the school have now?", "label": "176"}',
  '{"id": "h11", "input": "A bakery bakes 9 trays of 10 muffins each. It sells 10 muffins in the morning and 2 muffins in the afternoon. How many muffins are left?", "label": "78"}',
  '{"id": "h12", "input": "Mia has 35 marbles. She buys 8 bags with 4 marbles in each bag. How many marbles does Mia have now?", "label": "67"}',
  '{"id": "h13", "input": "A school orders 11 boxes of 16 pencils. It gives 3 pencils to each of 3 classes, then buys 22 more pencils. How many pencils does the school have now?", "label": "189"}',
  '{"id": "h14", "input": "A bakery bakes 6 trays of 11 muffins each. It sells 12 muffins in the morning and 3 muffins in the afternoon. How many muffins are left?", "label": "51"}',
  '{"id": "h15", "input": "Mia has 34 marbles. She buys 9 bags with 10 marbles in each bag. How many marbles does Mia have now?", "label": "124"}',
  '{"id": "h16", "input": "A school orders 7 boxes of 17 pencils. It gives 3 pencils to each of 4 classes, then buys 12 more pencils. How many pencils does the school have now?", "label": "119"}',
  '{"id": "h17", "input": "A bakery bakes 6 trays of 11 muffins each. It sells 4 muffins in the morning and 5 muffins in the afternoon. How many muffins are left?", "label": "57"}',
  '{"id": "h18", "input": "A school orders 6 boxes of 16 pencils. It gives 6 pencils to each of 6 classes, then buys 12 more pencils. How many pencils does the school have now?", "label": "72"}',
  '{"id": "h19", "input": "A bakery bakes 5 trays of 11 muffins each. It sells 12 muffins in the morning and 9 muffins in the afternoon. How many muffins are left?", "label": "34"}',
  '{"id": "h20", "input": "A school orders 9 boxes of 19 pencils. It gives 4 pencils to each of 8 classes, then buys 17 more pencils. How many pencils does the school have now?", "label": "156"}',
  '{"id": "h21", "input": "A school orders 7 boxes of 10 pencils. It gives 4 pencils to each of 8 classes, then buys 29 more pencils. How many pencils does the school have now?", "label": "67"}',
  '{"id": "h22", "input": "Mia has 24 marbles. She buys 6 bags with 4 marbles in each bag. How many marbles does Mia have now?", "label": "48"}',
  '{"id": "h23", "input": "A bakery bakes 7 trays of 12 muffins each. It sells 11 muffins in the morning and 7 muffins in the afternoon. How many muffins are left?", "label": "66"}',
  '{"id": "h24", "input": "A bakery bakes 7 trays of 8 muffins each. It sells 7 muffins in the morning and 6 muffins in the afternoon. How many muffins are left?", "label": "43"}',
];

export const INIT_TRAIN_JSONL = `${TRAIN_LINES.join("\n")}\n`;
export const INIT_HELD_OUT_JSONL = `${HELD_OUT_LINES.join("\n")}\n`;
