// Drive abiq with Ketting, by links only (Link headers): root -> tasks ->
// virtualappliances -> item -> deploy -> poll the task -> the result (303).
// Usage: node ketting_walk.cjs ROOT_URL USER PASSWORD; prints a JSON summary.
const { Ketting, basicAuth } = require('ketting');

async function main([root, user, password]) {
  const client = new Ketting(root);
  client.use(basicAuth(user, password));
  const home = client.go();
  const tasks = await (await home.follow('tasks')).get();
  const vapps = await home.follow('virtualappliances');
  const vapp = await vapps.follow('item');
  const before = await vapp.get();
  // NOTE: Ketting 7.5.2 reads the body of an answer with Content-Location
  // into its cache itself, so post() would read it twice and fail; the
  // cache then holds the task that the 202 carried.
  const deploy = await vapp.follow('deploy');
  const answer = await deploy.fetchOrThrow({ method: 'POST' });
  const task = client.go(answer.headers.get('Content-Location'));
  const accepted = await task.get();
  const deadline = Date.now() + 30000;
  let state = await task.refresh();
  // NOTE: once finished, the task answers 303 and fetch lands on the result.
  while (state.links.get('self').href === task.uri) {
    if (Date.now() > deadline) throw new Error(`task still ${state.data.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await task.refresh();
  }
  return {
    tasksRels: tasks.links.getAll().map((link) => link.rel),
    vapp: vapp.uri,
    stateBefore: before.data.state,
    taskStatus: accepted.data.status,
    result: state.links.get('self').href,
    stateAfter: state.data.state,
  };
}

main(process.argv.slice(2)).then(
  (summary) => console.log(JSON.stringify(summary)),
  (error) => {
    console.error(error.stack || String(error));
    process.exit(1);
  },
);
