import { mount } from 'svelte';
import App from './App.svelte';
import { pickBackend } from './lib/backend.js';
import './styles.css';

const backend = pickBackend();
mount(App, { target: document.getElementById('app')!, props: { backend } });
