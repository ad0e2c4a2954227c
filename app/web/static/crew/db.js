// The tablet's own store (IndexedDB): the queue of actions not yet acknowledged by the server (photos and
// signatures as their Blob, so nothing is lost when an upload fails) and the actions the server refused,
// kept until the crew has read them.
const NAME = 'citypilot-crew';
const VERSION = 1;
let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
        db.createObjectStore('refused', { keyPath: 'client_id' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(name, mode = 'readonly') {
  return (await open()).transaction(name, mode).objectStore(name);
}

export const db = {
  add: async (name, value) => done((await store(name, 'readwrite')).add(value)),
  put: async (name, value) => done((await store(name, 'readwrite')).put(value)),
  all: async (name) => done((await store(name)).getAll()),
  first: async (name) => {
    const cursor = await done((await store(name)).openCursor());
    return cursor ? cursor.value : null;
  },
  delete: async (name, key) => done((await store(name, 'readwrite')).delete(key)),
  count: async (name) => done((await store(name)).count()),
};
